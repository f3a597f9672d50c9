import { afterAll, afterEach, beforeAll } from 'vitest';
// From the runtime, not the package root: importing the root installs a process launcher,
// and some unit tests check a system without one.
import { ActorSystem, type RuntimeEvent, type SystemOptions } from '../../runtime/index.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from './nats-server.ts';

/** Systems a test file starts, with the options it shares: each test's are shut down after it. */
export interface TestSystems {
  /** The systems the running test started (tests may push their own). */
  readonly live: ActorSystem[];
  /** Start a system with the file's options, `name` and `options` over them. */
  start(name?: string, options?: Partial<SystemOptions>): Promise<ActorSystem>;
}

/**
 * Register the bookkeeping every test file that starts systems needs: the systems started
 * during a test are shut down after it (within `shutdownMs`), so no test leaks one.
 */
export function testSystems(
  defaults: SystemOptions,
  { shutdownMs = 2000 }: { shutdownMs?: number } = {},
): TestSystems {
  const live: ActorSystem[] = [];
  afterEach(async () => {
    await Promise.all(live.splice(0).map((s) => s.shutdown({ timeoutMs: shutdownMs })));
  });
  return {
    live,
    async start(name = defaults.name, options = {}) {
      const s = await ActorSystem.start({ logLevel: 'silent', ...defaults, ...options, name });
      live.push(s);
      return s;
    },
  };
}

/** The runtime events a system emits from now on, in order. */
export function recordEvents(system: ActorSystem): RuntimeEvent[] {
  const events: RuntimeEvent[] = [];
  system.on((e) => events.push(e));
  return events;
}

/** Nodes of one system on one real nats-server that the test file starts and stops. */
export interface NatsNodes {
  /** The file's nats-server (started before the first test). */
  readonly server: NatsServer;
  readonly live: ActorSystem[];
  /** Start node `name` of the system on the file's server (or `options.transport`). */
  node(name: string, options?: Partial<SystemOptions>): Promise<ActorSystem>;
}

/**
 * Register a nats-server for the test file and the systems on it: most NATS tests start the
 * same way, and every node a test starts is shut down after it.
 */
export function natsNodes(system: string, o: { shutdownMs?: number } = {}): NatsNodes {
  let server: NatsServer | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  const systems = testSystems({ name: system }, o);
  afterAll(async () => {
    await stopAllNatsServers();
  });
  const started = (): NatsServer => {
    if (server === undefined) throw new Error('the nats-server starts in beforeAll');
    return server;
  };
  return {
    get server() {
      return started();
    },
    live: systems.live,
    node: (name, options = {}) =>
      systems.start(system, { node: name, transport: started().transport, ...options }),
  };
}
