import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  A2AAgentActor,
  A2ATaskError,
  a2aAgent,
  InputRequired,
  serveA2A,
} from '../../actors/interop/index.ts';
import { ActorSystem, InvalidArgument, Timeout, TransportError } from '../../runtime/index.ts';
import { startSdkA2A } from '../support/a2a-peer.ts';
import { StandIn } from '../support/interop-agents.ts';

let peer: Awaited<ReturnType<typeof startSdkA2A>>;
let system: ActorSystem;

beforeAll(async () => {
  peer = await startSdkA2A();
  system = await ActorSystem.start({ name: 'a2ac', logLevel: 'silent' });
});

afterAll(async () => {
  await peer?.close();
  await system?.shutdown({ timeoutMs: 2000 });
});

async function until(f: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('troupe A2A client against an @a2a-js/sdk server', () => {
  it('reads the card and runs tasks to their output', async () => {
    const agent = a2aAgent(peer.url);
    expect((await agent.card()).name).toBe('sdk-peer');
    expect(await agent.run('hello')).toBe('echo: hello');
    expect(await agent.run({ n: 1 })).toEqual({ n: 1 });
    expect(await agent.ask('run', { input: 'as a ref' }, { timeout: 10_000 })).toBe(
      'echo: as a ref',
    );
  });

  it('turns input-required into InputRequired carrying the task to continue', async () => {
    const agent = a2aAgent(peer.url);
    const err = await agent.run('ask').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputRequired);
    expect((err as InputRequired).prompt).toBe('which environment?');
    expect((err as InputRequired).data).toMatchObject({ taskId: expect.any(String) });
  });

  it('turns a failed task into A2ATaskError with the reason', async () => {
    await expect(a2aAgent(peer.url).run('fail')).rejects.toThrow(A2ATaskError);
    await expect(a2aAgent(peer.url).run('fail')).rejects.toThrow(/peer failed on purpose/);
  });

  it('cancels the remote task when the deadline passes', async () => {
    const before = peer.executor.canceled.length;
    const err = await a2aAgent(peer.url)
      .run('slow', { deadline: Date.now() + 300 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Timeout);
    await until(() => peer.executor.canceled.length > before, 'the peer to see the cancel');
  });

  it('is an agent tool', async () => {
    const tool = await a2aAgent(peer.url).tool();
    expect(tool.name).toBe('sdk-peer');
    expect(tool.input.safeParse({ input: 'x' }).success).toBe(true);
    expect(tool.input.safeParse({}).success).toBe(false);
    const out = await tool.run(
      { input: 'from a tool' },
      {
        signal: new AbortController().signal,
        deadline: Date.now() + 10_000,
        agent: 'a',
        callId: '1',
      },
    );
    expect(out).toBe('echo: from a tool');
  });

  it('is an actor: a run ask becomes a task; the ask deadline cancels it', async () => {
    const ref = system.spawn(A2AAgentActor, { name: 'remote', args: { url: peer.url } });
    expect(await system.ask(ref, 'run', { input: 'via actor' }, { timeout: 10_000 })).toBe(
      'echo: via actor',
    );
    const before = peer.executor.canceled.length;
    await expect(
      system.ask(ref, 'run', { input: 'slow' }, { timeout: 300 }),
    ).rejects.toBeInstanceOf(Timeout);
    await until(() => peer.executor.canceled.length > before, 'the peer to see the cancel');
  });

  it('talks to a troupe A2A server with a bearer token, and is refused without one', async () => {
    const token = 'client-token-0123456789abcdef';
    const ref = system.spawn(StandIn, { name: 'served' });
    const server = await serveA2A(system, {
      target: { ref, def: StandIn },
      auth: { bearer: [token] },
    });
    try {
      expect(await a2aAgent(server.url, { token }).run('round trip')).toBe('echo: round trip');
      await expect(a2aAgent(server.url).run('round trip')).rejects.toThrow();
    } finally {
      await server.close();
    }
  });

  it('refuses bad arguments', async () => {
    expect(() => a2aAgent('not a url')).toThrow(InvalidArgument);
    expect(() => a2aAgent(peer.url, { timeoutMs: -1 })).toThrow(InvalidArgument);
    await expect(a2aAgent('http://127.0.0.1:9/').run('x')).rejects.toThrow(TransportError);
    await expect(a2aAgent(peer.url).run(undefined)).rejects.toThrow(InvalidArgument);
  });
});
