import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type A2AServer, serveA2A } from '../../actors/interop/index.ts';
import { ActorSystem } from '../../runtime/index.ts';
import { startSdkA2A } from '../support/a2a-peer.ts';
import { StandIn } from '../support/interop-agents.ts';

const KEY = 'api-key-0123456789abcdef';
let system: ActorSystem;
let troupe: A2AServer;
let peer: Awaited<ReturnType<typeof startSdkA2A>>;

interface Answer {
  status: number;
  type: string | null;
  body: unknown;
}

async function answer(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, ...headers },
    body,
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (an SSE stream, an HTML error page): compared as text.
  }
  return { status: r.status, type: r.headers.get('content-type'), body: parsed };
}

const V1 = { 'A2A-Version': '1.0' };

/**
 * The same request answered the same by troupe's plain-HTTP path, by troupe's express path
 * (a request with a `content-encoding` goes there) and, for v1.0, by the plain SDK server
 * (it has no v0.3 compat layer).
 */
async function same(body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const ours = await answer(troupe.url, body, headers);
  const viaExpress = await answer(troupe.url, body, { ...headers, 'content-encoding': 'identity' });
  expect(ours).toEqual(viaExpress);
  if (headers['A2A-Version'] === '1.0') expect(ours).toEqual(await answer(peer.url, body, headers));
  return ours;
}

function sendBody(text: string, method = 'SendMessage'): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 'req-1',
    method,
    params: {
      message: {
        messageId: `m-${text}`,
        role: 'ROLE_USER',
        parts: [{ text, mediaType: 'text/plain' }],
      },
    },
  });
}

beforeAll(async () => {
  system = await ActorSystem.start({ name: 'a2ahttp', logLevel: 'silent' });
  const ref = system.spawn(StandIn, { name: 'agent' });
  troupe = await serveA2A(system, {
    target: { ref, def: StandIn, name: 'stand-in' },
    auth: { apiKey: { header: 'X-API-Key', keys: [KEY] } },
  });
  peer = await startSdkA2A();
  // The SDK's express handler logs every error it maps; the comparisons make many on purpose.
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

afterAll(async () => {
  vi.restoreAllMocks();
  await troupe?.close();
  await peer?.close();
  await system?.shutdown({ timeoutMs: 2000 });
});

describe("troupe A2A JSON-RPC on plain node:http answers as the SDK's express handler", () => {
  it('answers a blocking SendMessage as JSON with the completed task, then finds it', async () => {
    const sent = await answer(troupe.url, sendBody('hello'), { 'A2A-Version': '1.0' });
    expect(sent.status).toBe(200);
    expect(sent.type).toBe('application/json; charset=utf-8');
    const task = (sent.body as { result: { task: { id: string; status: { state: string } } } })
      .result.task;
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    const got = await answer(
      troupe.url,
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'GetTask', params: { id: task.id } }),
      { 'A2A-Version': '1.0' },
    );
    expect((got.body as { result: { id: string } }).result.id).toBe(task.id);
  });

  it('streams SendStreamingMessage as SSE, ending with the completed status', async () => {
    const r = await answer(troupe.url, sendBody('stream', 'SendStreamingMessage'), {
      'A2A-Version': '1.0',
    });
    expect(r.type).toBe('text/event-stream');
    const events = String(r.body)
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { result: Record<string, unknown> });
    expect(Object.keys(events[0]!.result)).toEqual(['task']);
    expect(JSON.stringify(events.at(-1))).toContain('TASK_STATE_COMPLETED');
  });

  it('gives the same errors for malformed requests, both protocol versions', async () => {
    for (const version of [V1, {}] as Record<string, string>[]) {
      const parse = await same('{"jsonrpc": "2.0", ', version);
      expect(parse.body).toMatchObject({ error: { code: -32700 } });
      await same('"a string"', version);
      await same('', version);
      await same(JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'GetTask' }), version);
      await same(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'Nope', params: {} }), version);
      await same(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: [] }), version);
      await same(
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'none' } }),
        version,
      );
      await same(
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { id: 'none' } }),
        version,
      );
    }
    await same(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'GetTask' }), {
      'A2A-Version': '9.9',
    });
  });

  it('leaves other media types to the express handler, which refuses them', async () => {
    const r = await same('{}', { 'content-type': 'text/plain' });
    expect(r.body).toMatchObject({ error: {} });
  });

  it('answers any JSON body the same as the express path and the SDK server', async () => {
    const rpc = fc.record(
      {
        jsonrpc: fc.constantFrom('2.0', '1.0'),
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.double()),
        method: fc.constantFrom('GetTask', 'CancelTask', 'tasks/get', 'tasks/cancel', 'Nope'),
        params: fc.oneof(fc.jsonValue(), fc.record({ id: fc.string() })),
      },
      { requiredKeys: ['jsonrpc', 'method'] },
    );
    const version = fc.constantFrom<Record<string, string>>(
      {},
      { 'A2A-Version': '1.0' },
      { 'A2A-Version': '0.3' },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(rpc, fc.jsonValue()), version, async (body, v) => {
        await same(JSON.stringify(body) ?? 'null', v);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses any RPC without a credential, before reading it', async () => {
    const r = await fetch(troupe.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'A2A-Version': '1.0' },
      body: sendBody('anon'),
    });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
    const get = await fetch(troupe.url);
    expect(get.status).toBe(401);
  });
});
