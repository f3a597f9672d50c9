import type { ChildProcess } from 'node:child_process';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsBoard } from '../../actors/board/index.ts';
import {
  fanOut,
  loop,
  peerNetwork,
  pipeline,
  router,
  supervisorTeam,
} from '../../actors/patterns/index.ts';
import { type ActorRef, ActorSystem, MemoryAuditSink, Timeout } from '../../index.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { patternRuns } from '../support/pattern-runs.ts';
import { eventually, spawnTs, stopChild } from '../support/processes.ts';
import { Critic, FixedPlanner, KeywordTriage } from '../support/team-members.ts';

// Members on another node: a second process on the same NATS, same system; the patterns run here.
const SYSTEM = 'teamsnats';
let server: NatsServer;
let nc: NatsConnection;
let sys: ActorSystem;
let host: ChildProcess & { output: () => string };
const audit = new MemoryAuditSink();

function startHost(node: string, bucket: string, specs: string[]) {
  return spawnTs(
    'test/support/team-host.ts',
    [server.url, server.user, server.pass, SYSTEM, node, bucket, ...specs],
    { readyTimeoutMs: 60_000 },
  );
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, user: server.user, pass: server.pass });
  sys = await ActorSystem.start({
    name: SYSTEM,
    node: 'here',
    logLevel: 'silent',
    audit,
    transport: server.transport,
  });
  host = await startHost('remote', 'registry', ['r1:3', 'r2:1', 'r3:2', 'slow:1:3000']);
}, 90_000);

afterAll(async () => {
  if (host) await stopChild(host);
  await sys?.shutdown({ timeoutMs: 2_000 });
  await nc?.close();
  await stopAllNatsServers();
});

const remote = (path: string): ActorRef => ({ system: SYSTEM, path });

const { start, run } = patternRuns(() => sys, 10_000);

describe('patterns with members on another node over NATS', () => {
  it('pipeline', async () => {
    const ref = await start(pipeline([remote('r1'), remote('r2')]));
    expect(await run(ref, 'x')).toBe('x>r1>r2');
  });

  it('fanOut', async () => {
    const ref = await start(fanOut({ to: [remote('r1'), remote('r2'), remote('r3')] }));
    expect(await run(ref, 'x')).toEqual(['x>r1', 'x>r2', 'x>r3']);
  });

  it('supervisorTeam', async () => {
    const plan = {
      subtasks: [
        { id: 'a', capability: 'c1', input: 'i' },
        { id: 'b', capability: 'c2', input: 'j', dependsOn: ['a'] },
      ],
    };
    const ref = await start(
      supervisorTeam({
        planner: { def: FixedPlanner, name: 'p', args: plan },
        workers: { c1: remote('r1'), c2: remote('r2') },
      }),
    );
    expect(await run(ref, 'goal')).toEqual({
      a: 'i>r1',
      b: '{"input":"j","from":{"a":"i>r1"}}>r2',
    });
  });

  it('loop', async () => {
    const ref = await start(
      loop({
        worker: remote('r3'),
        critic: { def: Critic, name: 'c', args: { approveAt: 2 } },
        maxRounds: 3,
      }),
    );
    expect(String(await run(ref, 'd')).endsWith('>r3')).toBe(true);
  });

  it('router', async () => {
    const ref = await start(
      router({
        triage: { def: KeywordTriage, name: 't', args: ['r1', 'r2'] },
        routes: { r1: remote('r1'), r2: remote('r2') },
      }),
    );
    expect(await run(ref, 'for r2')).toBe('for r2>r2');
  });

  it('a member timing out on the other node: Timeout, and a missing remote member fails fast', async () => {
    const ref = await start(pipeline([remote('slow'), remote('r1')], { step: { timeoutMs: 200 } }));
    await expect(run(ref, 'x')).rejects.toBeInstanceOf(Timeout);
    const missing = await start(pipeline([remote('nobody')]));
    await expect(run(missing, 'x', 20_000)).rejects.toThrow(/nobody/);
  });

  it('peerNetwork: cards published from the other node; the winner killed mid-task is re-awarded', async () => {
    const board = await natsBoard(nc, 'registry');
    const ref = await start(
      peerNetwork({ registry: board, awardTimeoutMs: 1_500, bidTimeoutMs: 2_000 }),
    );
    // r2 and slow both bid 1, the lowest: a tie goes to the name first in order, r2.
    expect(await run(ref, { capability: 'work', input: 'job' })).toBe('job>r2');
    // A second host whose member bids lowest and then dies (kill -9) while working.
    const doomed = await startHost('doomed', 'registry', ['cheap:0:5000']);
    const result = run(ref, { capability: 'work', input: 'job2' }, 30_000);
    await eventually(async () => {
      if (!doomed.output().includes('start cheap')) throw new Error('not started yet');
    }, 20_000);
    doomed.kill('SIGKILL');
    expect(await result).toBe('job2>r2');
    const awards = audit.events.filter((e) => e.kind === 'team.award').map((e) => e.data.peer);
    expect(awards.slice(-2)).toEqual(['cheap', 'r2']);
    expect(audit.events.filter((e) => e.kind === 'team.reaward').at(-1)!.data.failed).toBe('cheap');
  }, 60_000);
});
