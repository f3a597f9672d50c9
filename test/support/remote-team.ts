// Supervising RemoteWorker children on other nodes: the `team` supervisor the remote tests
// share, and a fixture of worker host processes plus a supervising `boss` system on one broker.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type ActorRef, ActorSystem, defineSupervisor, type RuntimeEvent } from '../../index.ts';
import type { SystemOptions } from '../../runtime/index.ts';
import { RemoteWorker } from './defs.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from './nats-server.ts';
import { eventually, spawnTs, stopChild } from './processes.ts';

export type WorkerP = NonNullable<(typeof RemoteWorker)['__protocol']>;

/** A one_for_one supervisor `team` with one RemoteWorker child `w` placed on `node`. */
export function remoteTeam(
  limits: { intensity: number; period: number },
  child: { node: string; waitForHostMs?: number },
) {
  return defineSupervisor({
    type: 'team',
    strategy: 'one_for_one',
    ...limits,
    children: [{ id: 'w', start: { def: RemoteWorker }, ...child }],
  });
}

export interface RemoteHosts {
  readonly server: NatsServer;
  /** `team/w`, the child of `remoteTeam` spawned as `team`. */
  readonly w: ActorRef<WorkerP>;
  /** A process hosting RemoteWorker as node `node` (stopped after each test). */
  host(node: string): ReturnType<typeof spawnTs>;
  /** The supervising node, recording its runtime events (shut down after each test). */
  boss(): Promise<{ sys: ActorSystem; events: RuntimeEvent[] }>;
}

/** Registers the hooks: one broker for the file; hosts and systems cleaned after each test. */
export function useRemoteHosts(system: string): RemoteHosts {
  let server: NatsServer | undefined;
  const systems: ActorSystem[] = [];
  const children: Awaited<ReturnType<typeof spawnTs>>[] = [];
  beforeAll(async () => {
    server = await startNatsServer({ jetstream: false });
  });
  afterEach(async () => {
    await Promise.all(systems.splice(0).map((s) => s.shutdown({ timeoutMs: 3000 })));
    await Promise.all(children.splice(0).map((c) => stopChild(c)));
  });
  afterAll(async () => {
    await stopAllNatsServers();
  });
  const fixture: RemoteHosts = {
    get server() {
      if (!server) throw new Error('the broker starts in beforeAll');
      return server;
    },
    w: { system, path: 'team/w' },
    async host(node) {
      const s = fixture.server;
      const c = await spawnTs('test/support/remote-host.ts', [s.url, s.user, s.pass, system, node]);
      children.push(c);
      return c;
    },
    async boss() {
      const sys = await ActorSystem.start({
        name: system,
        node: 'boss',
        logLevel: 'silent',
        heartbeatMs: 150,
        transport: fixture.server.transport,
      });
      systems.push(sys);
      const events: RuntimeEvent[] = [];
      sys.on((e) => events.push(e));
      return { sys, events };
    },
  };
  return fixture;
}

export interface SupervisedTrio {
  /** Supervises `team` (a RemoteWorker `w` on nb), so it reads heartbeats and exit reports. */
  na: ActorSystem;
  nb: ActorSystem;
  /** Node `nc`: asks from a connection of its own. */
  client: ActorSystem;
  /** A plain NATS connection for what no actor would send. */
  raw: NatsConnection;
  stop(): Promise<void>;
}

/** Starts the trio on `server`; `setup` adds na's own actors before it flushes. */
export async function startSupervisedTrio(
  server: NatsServer,
  system: string,
  o: {
    intensity: number;
    audit?: SystemOptions['audit'];
    setup: (na: ActorSystem) => void | Promise<void>;
  },
): Promise<SupervisedTrio> {
  const start = (node: string) =>
    ActorSystem.start({
      name: system,
      node,
      logLevel: 'silent',
      heartbeatMs: 200,
      transport: server.transport,
      ...(o.audit ? { audit: o.audit } : {}),
    });
  const na = await start('na');
  const nb = await start('nb');
  const client = await start('nc');
  nb.host(RemoteWorker);
  na.spawn(remoteTeam({ intensity: o.intensity, period: 1 }, { node: 'nb' }), { name: 'team' });
  await o.setup(na);
  await na.flush();
  await eventually(() => client.ask({ system, path: 'team/w' }, 'where', {}, { timeout: 500 }));
  const raw = await connect({ servers: server.url, user: server.user, pass: server.pass });
  const stop = async () => {
    await raw.close();
    for (const s of [client, nb, na]) await s.shutdown({ timeoutMs: 2000 });
  };
  return { na, nb, client, raw, stop };
}
