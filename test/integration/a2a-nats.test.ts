import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  A2A_NATS_BINDING,
  type A2AEndpointRef,
  A2ANatsClient,
  a2aNatsEndpoint,
} from '../../actors/interop/index.ts';
import { ActorSystem, Rejected } from '../../runtime/index.ts';
import { StandIn } from '../support/interop-agents.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';

let nats: NatsServer;
let server: ActorSystem;
let caller: ActorSystem;
let client: A2ANatsClient;
let close: () => Promise<void>;

const message = (text: string, extra: Record<string, unknown> = {}) => ({
  message: { messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts: [{ text }], ...extra },
});

beforeAll(async () => {
  nats = await startNatsServer();
  server = await ActorSystem.start({
    name: 'a2an',
    node: 'srv',
    logLevel: 'silent',
    transport: nats.transport,
  });
  caller = await ActorSystem.start({
    name: 'a2an',
    node: 'cli',
    logLevel: 'silent',
    transport: nats.transport,
  });
  const ref = server.spawn(StandIn, { name: 'agent' });
  const ep = a2aNatsEndpoint(server, { ref, def: StandIn, name: 'stand-in' }, 'agent-a2a');
  close = ep.close;
  await server.flush();
  client = new A2ANatsClient(caller, { system: 'a2an', path: 'agent-a2a' } as A2AEndpointRef);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await close?.();
  await caller?.shutdown({ timeoutMs: 2000 });
  await server?.shutdown({ timeoutMs: 2000 });
  await stopAllNatsServers();
});

describe('A2A over NATS between two troupe nodes', () => {
  it('serves the card, naming the NATS binding', async () => {
    const card = await client.card({ timeout: 5000 });
    expect(card.name).toBe('stand-in');
    expect(card.supportedInterfaces).toEqual([
      { url: 'troupe://a2an/agent-a2a', protocolBinding: A2A_NATS_BINDING, protocolVersion: '1.0' },
    ]);
  });

  it('sends a message and gets the completed task', async () => {
    const r = await client.call('SendMessage', message('over nats'), { timeout: 10_000 });
    const task = (
      r.result as {
        task: { id: string; status: { state: string }; artifacts: { parts: { text: string }[] }[] };
      }
    ).task;
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(task.artifacts[0]?.parts[0]?.text).toBe('echo: over nats');
    const got = await client.call('GetTask', { id: task.id }, { timeout: 10_000 });
    expect((got.result as { status: { state: string } }).status.state).toBe('TASK_STATE_COMPLETED');
  });

  it('streams every event in order, ending at the terminal state', async () => {
    const kinds: string[] = [];
    for await (const ev of client.stream('SendStreamingMessage', message('streamed'), {
      timeout: 10_000,
    })) {
      const res = ev.result as Record<string, { status?: { state: string } }>;
      const kind = Object.keys(res)[0]!;
      kinds.push(kind === 'statusUpdate' ? res.statusUpdate!.status!.state : kind);
    }
    expect(kinds[0]).toBe('task');
    expect(kinds).toContain('artifactUpdate');
    expect(kinds.at(-1)).toBe('TASK_STATE_COMPLETED');
  });

  it('cancels a running task; the actor hears of it', async () => {
    const r = await client.call(
      'SendMessage',
      { ...message('slow'), configuration: { returnImmediately: true } },
      { timeout: 10_000 },
    );
    const id = (r.result as { task: { id: string } }).task.id;
    const end = Date.now() + 10_000;
    let state = '';
    while (state !== 'TASK_STATE_WORKING' && Date.now() < end) {
      const g = await client.call('GetTask', { id }, { timeout: 5000 });
      state = (g.result as { status: { state: string } }).status.state;
    }
    const c = await client.call('CancelTask', { id }, { timeout: 10_000 });
    expect((c.result as { status: { state: string } }).status.state).toBe('TASK_STATE_CANCELED');
    const seen = await caller.ask(
      { system: 'a2an', path: 'agent' } as never,
      'canceled' as never,
      {} as never,
      { timeout: 5000 },
    );
    expect(seen).toContain(id);
  });

  it('answers an unknown method with a JSON-RPC error, and a malformed request with Rejected', async () => {
    const r = await client.call('NoSuchMethod', {}, { timeout: 5000 });
    expect(r.error?.code).toBe(-32601);
    await expect(
      caller.ask(
        { system: 'a2an', path: 'agent-a2a' } as A2AEndpointRef,
        'a2a.rpc',
        { request: { method: 'x' } } as never,
        {
          timeout: 5000,
        },
      ),
    ).rejects.toBeInstanceOf(Rejected);
  });
});
