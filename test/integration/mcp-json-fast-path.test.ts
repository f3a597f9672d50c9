import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { InteropMeta, type McpHttpServing, serveMcpHttp } from '../../actors/interop/index.ts';
import {
  type ActorRef,
  ActorSystem,
  defineActor,
  type ProtocolOf,
  type ReplyHandle,
} from '../../runtime/index.ts';
import { StandIn } from '../support/interop-agents.ts';

/** Parks every run until canceled, and says which runs it holds and which were canceled. */
const Parking = defineActor({
  type: 'parking',
  state: () => ({ held: new Map<string, ReplyHandle<string>>(), canceled: [] as string[] }),
  tells: { cancel: z.object({ runId: z.string() }) },
  asks: {
    run: {
      request: z.object({ input: z.string(), interop: InteropMeta.optional() }),
      reply: z.string(),
    },
    held: { request: z.object({}), reply: z.array(z.string()) },
    canceled: { request: z.object({}), reply: z.array(z.string()) },
  },
  handle: {
    run: (s, m, ctx) => {
      if (m.interop) s.held.set(m.interop.runId, ctx.deferReply());
    },
    held: (s, _m, ctx) => ctx.reply([...s.held.keys()]),
    canceled: (s, _m, ctx) => ctx.reply([...s.canceled]),
    cancel: (s, m) => {
      s.canceled.push(m.runId);
      s.held.delete(m.runId);
    },
  },
});

const TOKEN = 'mcp-fast-token-0123456789abcdef';
let system: ActorSystem;
let agent: ActorRef;
let parking: ActorRef<ProtocolOf<typeof Parking>>;
let http: McpHttpServing;
let session: string;
let nextId = 1;

const BASE = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
  'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
};

function post(body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(http.url, {
    method: 'POST',
    headers: { ...BASE, authorization: `Bearer ${TOKEN}`, 'mcp-session-id': session, ...headers },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

function call(name: string, args: unknown, meta?: Record<string, unknown>) {
  const id = nextId++;
  return {
    id,
    body: {
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
    },
  };
}

/** The JSON-RPC messages of a response, whether it came as JSON or as an SSE stream. */
async function messages(r: Response): Promise<Record<string, unknown>[]> {
  const text = await r.text();
  if (r.headers.get('content-type')?.startsWith('application/json')) return [JSON.parse(text)];
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)));
}

async function canceledRuns(): Promise<string[]> {
  return (await system.ask(agent as never, 'canceled' as never, {} as never, {
    timeout: 5000,
  })) as string[];
}

const runOf = (id: number) => (runs: string[]) => runs.some((r) => r.startsWith(`mcp-${id}-`));

beforeAll(async () => {
  system = await ActorSystem.start({ name: 'mcpfast', logLevel: 'silent' });
  agent = system.spawn(StandIn, { name: 'agent' });
  parking = system.spawn(Parking, { name: 'parking' });
  http = await serveMcpHttp(system, {
    targets: [
      { ref: agent, def: StandIn, name: 'stand-in' },
      { ref: parking, def: Parking, asks: ['run'] },
    ],
    auth: { bearer: [TOKEN] },
  });
  // A session as the SDK client opens it; its id is what raw requests carry.
  const init = await fetch(http.url, {
    method: 'POST',
    headers: { ...BASE, authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'raw', version: '1.0.0' },
      },
    }),
  });
  session = init.headers.get('mcp-session-id') ?? '';
  await init.text();
  const ack = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  expect(ack.status).toBe(202);
});

afterAll(async () => {
  await http?.close();
  await system?.shutdown({ timeoutMs: 2000 });
});

describe('troupe MCP server: calls without a progress token are answered as JSON', () => {
  it('answers tools/call as application/json with the structured result', async () => {
    const { id, body } = call('stand-in_add', { a: 2, b: 40 });
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('mcp-session-id')).toBe(session);
    expect(await r.json()).toEqual({
      jsonrpc: '2.0',
      id,
      result: { content: [{ type: 'text', text: '{"sum":42}' }], structuredContent: { sum: 42 } },
    });
  });

  it('answers tools/list and ping as JSON', async () => {
    const list = await post({ jsonrpc: '2.0', id: 'list-1', method: 'tools/list' });
    expect(list.headers.get('content-type')).toBe('application/json');
    const tools = ((await list.json()) as { result: { tools: { name: string }[] } }).result.tools;
    expect(tools.map((t) => t.name)).toContain('stand-in_add');
    const ping = await post({ jsonrpc: '2.0', id: 'ping-1', method: 'ping' });
    expect(await ping.json()).toEqual({ jsonrpc: '2.0', id: 'ping-1', result: {} });
  });

  it('still streams a call that carries a progress token, progress first', async () => {
    const { id, body } = call('stand-in', { input: 'hello' }, { progressToken: 'p-1' });
    const r = await post(body);
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    const got = await messages(r);
    expect(got[0]).toMatchObject({
      method: 'notifications/progress',
      params: { progressToken: 'p-1', progress: 1, total: 2, message: 'halfway' },
    });
    expect(got.at(-1)).toMatchObject({
      id,
      result: { structuredContent: { result: 'echo: hello' } },
    });
  });

  it('returns a failing run as an error result, as JSON', async () => {
    const { id, body } = call('stand-in', { input: 'fail' });
    const r = await post(body);
    expect(r.headers.get('content-type')).toBe('application/json');
    const out = (await r.json()) as { id: number; result: { isError: boolean; content: unknown } };
    expect(out.id).toBe(id);
    expect(out.result.isError).toBe(true);
    expect(JSON.stringify(out.result.content)).toContain('the tool broke');
  });

  it('answers an unknown tool with the JSON-RPC error the SDK path gives', async () => {
    const fast = call('nope', {});
    const slow = call('nope', {}, { progressToken: 'p-2' });
    const [a] = await messages(await post(fast.body));
    const [b] = await messages(await post(slow.body));
    expect(a).toEqual({
      jsonrpc: '2.0',
      id: fast.id,
      error: { code: -32602, message: 'MCP error -32602: unknown tool nope' },
    });
    expect({ ...b, id: fast.id }).toEqual(a);
  });

  it('answers exactly what the SDK path answers, for any arguments', async () => {
    const tool = fc.constantFrom('stand-in', 'stand-in_add', 'stand-in_release', 'unknown');
    const args = fc.oneof(
      fc.record({ a: fc.jsonValue(), b: fc.jsonValue() }),
      fc.record({ input: fc.oneof(fc.string(), fc.jsonValue()) }),
      fc.dictionary(fc.string(), fc.jsonValue()),
    );
    await fc.assert(
      fc.asyncProperty(tool, args, async (name, a) => {
        // `gate` and `slow` wait on purpose: not what this property is about.
        fc.pre(!['gate', 'slow'].includes((a as { input?: unknown }).input as string));
        const fast = call(name, a);
        const slow = call(name, a, { progressToken: `t-${nextId}` });
        const [x] = await messages(await post(fast.body));
        const got = (await messages(await post(slow.body))).filter((m) => 'id' in m);
        expect({ ...got[0], id: fast.id }).toEqual(x);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses an unknown session and a missing token before answering', async () => {
    const { body } = call('stand-in_add', { a: 1, b: 2 });
    const unknown = await post(body, { 'mcp-session-id': 'no-such-session' });
    expect(unknown.status).toBe(404);
    const anon = await post(body, { authorization: 'Bearer wrong-token-0123456789' });
    expect(anon.status).toBe(401);
    const none = await fetch(http.url, {
      method: 'POST',
      headers: { ...BASE, 'mcp-session-id': session },
      body: JSON.stringify(body),
    });
    expect(none.status).toBe(401);
  });

  it('aborts a run answered as JSON when the client cancels it', async () => {
    const { id, body } = call('stand-in', { input: 'slow' });
    const pending = post(body);
    // The run reaches the actor before the cancel is sent: wait until it is in flight there.
    await vi.waitFor(async () => {
      const c = await post({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: id, reason: 'test' },
      });
      expect(c.status).toBe(202);
      expect(runOf(id)(await canceledRuns())).toBe(true);
    });
    const r = await pending;
    expect(r.status).toBe(202);
    expect(await r.text()).toBe('');
  });

  it('aborts a run answered as JSON when the client goes away', async () => {
    const { id, body } = call('parking', { input: 'wait' });
    const ac = new AbortController();
    const pending = post(body, {}, ac.signal).catch((e: Error) => e);
    const ask = (what: 'held' | 'canceled') => system.ask(parking, what, {}, { timeout: 5000 });
    await vi.waitFor(async () => expect(runOf(id)(await ask('held'))).toBe(true));
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    await vi.waitFor(async () => expect(runOf(id)(await ask('canceled'))).toBe(true));
  });

  it('serves the SDK client over the fast path', async () => {
    const c = new Client({ name: 'sdk', version: '1.0.0' });
    await c.connect(
      new StreamableHTTPClientTransport(new URL(http.url), {
        requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
      }),
    );
    try {
      const r = await c.callTool({ name: 'stand-in_add', arguments: { a: 20, b: 22 } });
      expect(r.structuredContent).toEqual({ sum: 42 });
      await expect(c.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(/unknown tool/);
      await c.ping();
    } finally {
      await c.close();
    }
  });
});
