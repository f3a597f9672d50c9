import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type McpHttpServing, serveMcpHttp } from '../../actors/interop/index.ts';
import { ActorSystem } from '../../runtime/index.ts';
import { StandIn } from '../support/interop-agents.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** The same checks over either transport: the SDK client is the peer. */
function suite(name: string, connect: () => Promise<Client>) {
  describe(`troupe MCP server over ${name}, @modelcontextprotocol/sdk client`, () => {
    let client: Client;
    beforeAll(async () => {
      client = await connect();
    }, 60_000);
    afterAll(async () => {
      await client?.close();
    });

    it('lists every ask as a tool with JSON Schemas', async () => {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual([
        'stand-in',
        'stand-in_add',
        'stand-in_canceled',
        'stand-in_release',
      ]);
      const run = tools[0]!;
      expect(run.description).toBe('Echo the input, or play one of the scripted cases');
      expect(run.inputSchema.properties).toHaveProperty('input');
      expect(run.inputSchema.properties).not.toHaveProperty('interop');
      expect(run.inputSchema.required).toEqual(['input']);
      expect(run.outputSchema?.properties).toHaveProperty('result');
      const add = tools[1]!;
      expect(add.inputSchema.required).toEqual(['a', 'b']);
      expect(add.outputSchema?.properties).toHaveProperty('sum');
    });

    it('calls a tool and gets structured output', async () => {
      const r = await client.callTool({ name: 'stand-in_add', arguments: { a: 2, b: 40 } });
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toEqual({ sum: 42 });
      expect(r.content).toEqual([{ type: 'text', text: '{"sum":42}' }]);
    });

    it('reports the run progress as progress notifications', async () => {
      const seen: Progress[] = [];
      // The run waits at its gate until the test has seen its progress and releases it.
      const r = await client.callTool(
        { name: 'stand-in', arguments: { input: 'gate' } },
        undefined,
        {
          onprogress: (p) => {
            seen.push(p);
            void client.callTool({ name: 'stand-in_release', arguments: {} });
          },
        },
      );
      expect(r.structuredContent).toEqual({ result: 'released' });
      expect(seen).toEqual([{ progress: 1, total: 2, message: 'at the gate' }]);
    });

    it('returns a failing run as an error result', async () => {
      const r = await client.callTool({ name: 'stand-in', arguments: { input: 'fail' } });
      expect(r.isError).toBe(true);
      expect(JSON.stringify(r.content)).toContain('the tool broke');
    });

    it('returns an approval gate as an error result naming the prompt', async () => {
      const r = await client.callTool({ name: 'stand-in', arguments: { input: 'deploy' } });
      expect(r.isError).toBe(true);
      expect(JSON.stringify(r.content)).toContain('input required: approve the deploy');
    });

    it('refuses arguments that fail the schema, and unknown tools', async () => {
      const bad = await client.callTool({ name: 'stand-in_add', arguments: { a: 'x' } });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toMatch(/rejected/);
      await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(
        /unknown tool nope/,
      );
    });
  });
}

let system: ActorSystem;
let http: McpHttpServing;

beforeAll(async () => {
  system = await ActorSystem.start({ name: 'mcp', logLevel: 'silent' });
  const ref = system.spawn(StandIn, { name: 'agent' });
  http = await serveMcpHttp(system, { targets: [{ ref, def: StandIn, name: 'stand-in' }] });
});

afterAll(async () => {
  await http?.close();
  await system?.shutdown({ timeoutMs: 2000 });
});

suite('Streamable HTTP', async () => {
  const c = new Client({ name: 'test', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(http.url)));
  return c;
});

describe('troupe MCP server over HTTP with a bearer token', () => {
  it('refuses a client without the token and serves one with it', async () => {
    const token = 'mcp-token-0123456789abcdef';
    const ref = system.spawn(StandIn, { name: 'guarded' });
    const guarded = await serveMcpHttp(system, {
      targets: [{ ref, def: StandIn }],
      auth: { bearer: [token] },
    });
    try {
      const anon = new Client({ name: 'anon', version: '1.0.0' });
      await expect(
        anon.connect(new StreamableHTTPClientTransport(new URL(guarded.url))),
      ).rejects.toThrow();
      const c = new Client({ name: 'ok', version: '1.0.0' });
      await c.connect(
        new StreamableHTTPClientTransport(new URL(guarded.url), {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      );
      expect((await c.listTools()).tools).toHaveLength(4);
      await c.close();
    } finally {
      await guarded.close();
    }
  });
});

suite('stdio (troupe serve mcp --stdio)', async () => {
  const c = new Client({ name: 'test', version: '1.0.0' });
  await c.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [
        resolve(ROOT, 'bin/troupe.js'),
        'serve',
        'mcp',
        'test/fixtures/interop-agent.ts',
        '--stdio',
      ],
      cwd: ROOT,
      env: { ...process.env, TROUPE_LOG_LEVEL: 'silent' } as Record<string, string>,
      stderr: 'pipe',
    }),
  );
  return c;
});
