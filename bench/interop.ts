// Interop figures beside the official SDKs, in the same run: A2A tasks through troupe's
// server (an actor behind the SDK's request handler) against a plain @a2a-js/sdk server with
// the same instant executor; MCP tool calls through troupe's server against a plain
// @modelcontextprotocol/sdk server. Same client, same transport, same process for both;
// the peers are wired as the SDKs' READMEs do, troupe's side uses its fast paths
// (docs/interop.md): what differs is said in each figure's notes.
import { type Client as A2AClient, ClientFactory } from '@a2a-js/sdk/client';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { userMessage } from '../actors/interop/a2a/parts.ts';
import { sendRequest } from '../actors/interop/a2a/send-request.ts';
import { serveA2A, serveMcpHttp } from '../actors/interop/index.ts';
import { ActorSystem, defineActor } from '../index.ts';
import { startSdkA2A } from '../test/support/a2a-peer.ts';
import { startSdkMcpHttp } from '../test/support/mcp-peer.ts';
import { type Bench, type BenchResult, compared } from './types.ts';

const TASKS = 800;
const CALLS = 800;
const IN_FLIGHT = 16;
const ROUNDS = 5;

/** The instant agent: what the plain SDK executor and tool do, as an actor. */
const Instant = defineActor({
  type: 'instant',
  state: () => ({}),
  asks: {
    run: { request: z.object({ input: z.string() }), reply: z.string() },
  },
  handle: { run: (_s, m, ctx) => ctx.reply(`echo: ${m.input}`) },
});

async function pipelined(n: number, one: (i: number) => Promise<unknown>): Promise<number> {
  let started = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (started < n) await one(started++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return n / ((performance.now() - t0) / 1000);
}

async function a2aRate(client: A2AClient): Promise<number> {
  return pipelined(TASKS, async (i) => {
    const r = await client.sendMessage(sendRequest(userMessage(`task ${i}`)));
    if (!('status' in r) || r.artifacts.length !== 1) throw new Error('a task did not complete');
  });
}

/**
 * One round on a fresh session (not timed: connect and close). The SDK client's transport adds
 * an abort listener per request to one signal and never removes it, so a long-lived client
 * floods stderr with MaxListenersExceeded warnings past 1,500 calls, on both sides alike.
 */
async function mcpRate(url: string, tool: string): Promise<number> {
  const client = new McpClient({ name: 'bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  try {
    return await pipelined(CALLS, async (i) => {
      const r = await client.callTool({ name: tool, arguments: { input: `call ${i}` } });
      if (r.isError) throw new Error(`tool call failed: ${JSON.stringify(r.content)}`);
    });
  } finally {
    await client.close();
  }
}

function plainMcp(): McpServer {
  const s = new McpServer({ name: 'plain', version: '1.0.0' });
  s.registerTool(
    'instant',
    {
      description: 'instant',
      inputSchema: { input: z.string() },
      outputSchema: { result: z.string() },
    },
    async ({ input }) => {
      const result = `echo: ${input}`;
      return { content: [{ type: 'text', text: result }], structuredContent: { result } };
    },
  );
  return s;
}

const bench: Bench = {
  names: ['a2a.send', 'mcp.call'],
  async run(): Promise<BenchResult[]> {
    const system = await ActorSystem.start({ name: 'bench', logLevel: 'silent' });
    const ref = system.spawn(Instant, { name: 'instant' });
    const target = { ref, def: Instant, name: 'instant' };
    const troupeA2A = await serveA2A(system, { target });
    const plainA2A = await startSdkA2A();
    const troupeMcp = await serveMcpHttp(system, { targets: [target] });
    const plainMcpHttp = await startSdkMcpHttp(plainMcp);
    try {
      const ta = await new ClientFactory().createFromUrl(troupeA2A.url);
      const pa = await new ClientFactory().createFromUrl(plainA2A.url);
      const tm = troupeMcp.url;
      const pm = plainMcpHttp.url;
      // Warm both sides (JIT, connections, schema compilation).
      await a2aRate(ta);
      await a2aRate(pa);
      await mcpRate(tm, 'instant');
      await mcpRate(pm, 'instant');
      const a2a: number[] = [];
      const pa2a: number[] = [];
      const mcp: number[] = [];
      const pmcp: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        // Alternate who goes first: the machine's noise lands on both.
        if (r % 2 === 0) {
          a2a.push(await a2aRate(ta));
          pa2a.push(await a2aRate(pa));
          mcp.push(await mcpRate(tm, 'instant'));
          pmcp.push(await mcpRate(pm, 'instant'));
        } else {
          pa2a.push(await a2aRate(pa));
          a2a.push(await a2aRate(ta));
          pmcp.push(await mcpRate(pm, 'instant'));
          mcp.push(await mcpRate(tm, 'instant'));
        }
      }
      return [
        compared(
          'a2a.send',
          'tasks/s',
          a2a,
          'plain @a2a-js/sdk server, same instant executor',
          pa2a,
          {
            notes: `${TASKS} blocking SendMessage over JSON-RPC/HTTP, ${IN_FLIGHT} in flight, SDK client; troupe: an actor's run ask behind the SDK's request handler and task store, JSON-RPC served by the SDK's transport handler on plain node:http instead of its express router; median of ${ROUNDS}`,
          },
        ),
        compared(
          'mcp.call',
          'calls/s',
          mcp,
          'plain @modelcontextprotocol/sdk McpServer, same instant tool',
          pmcp,
          {
            notes: `${CALLS} tools/call over Streamable HTTP, ${IN_FLIGHT} in flight, SDK client, structured output; troupe: an actor's ask, calls without a progress token answered as plain JSON (as the spec allows) instead of an SSE stream through the SDK transport; median of ${ROUNDS}`,
          },
        ),
      ];
    } finally {
      await troupeA2A.close();
      await plainA2A.close();
      await troupeMcp.close();
      await plainMcpHttp.close();
      await system.shutdown();
    }
  },
};
export default bench;
