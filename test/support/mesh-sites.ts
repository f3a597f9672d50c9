import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BridgeHandle,
  type BridgeOptions,
  initIdentity,
  startBridge,
} from '../../actors/bridge/index.ts';
import { ActorSystem, MemoryAuditSink } from '../../index.ts';
import { type NatsServer, startNatsServer } from './nats-server.ts';

/** One site for mesh tests: its own nats-server, site directory, audit sink and bridge. */
export interface TestSite {
  readonly name: string;
  readonly server: NatsServer;
  readonly dir: string;
  readonly audit: MemoryAuditSink;
  /** The system the bridge runs in. */
  system: ActorSystem;
  bridge: BridgeHandle;
  /** Another node of the site's system on the same broker (for actors and askers). */
  node(name: string): Promise<ActorSystem>;
  /** Stops the bridge's system and starts it again with the same directory and options. */
  restart(extra?: BridgeOptions): Promise<void>;
  /** Audit events of a kind, from the bridge's system. */
  events(kind: string): Record<string, unknown>[];
  close(): Promise<void>;
}

export interface SiteOptions {
  /** Loopback address to listen on, e.g. 127.0.0.2. */
  host?: string;
  port?: number;
  bridge?: BridgeOptions;
  /** Share a broker instead of starting one (tests that need more sites than servers). */
  server?: NatsServer;
}

/** Starts a site with a fresh identity (a new mesh id; joining adopts the inviter's). */
export async function startSite(name: string, o: SiteOptions = {}): Promise<TestSite> {
  const server = o.server ?? (await startNatsServer({ jetstream: false }));
  const dir = await mkdtemp(join(tmpdir(), `troupe-mesh-${name}-`));
  await initIdentity(dir);
  const audit = new MemoryAuditSink();
  const nodes: ActorSystem[] = [];
  const host = o.host ?? '127.0.0.1';
  let bridgeOptions: BridgeOptions = {
    dir,
    listen: `${host}:${o.port ?? 0}`,
    reconnect: { initialMs: 50, maxMs: 500 },
    ...o.bridge,
  };
  const boot = async (): Promise<{ system: ActorSystem; bridge: BridgeHandle }> => {
    const system = await ActorSystem.start({
      name,
      node: `${name}-bridge`,
      logLevel: (process.env.TROUPE_LOG_LEVEL as 'silent' | undefined) ?? 'silent',
      transport: server.transport,
      audit,
    });
    try {
      return { system, bridge: await startBridge(system, bridgeOptions) };
    } catch (err) {
      await system.shutdown({ timeoutMs: 2000 });
      throw err;
    }
  };
  const first = await boot();
  // Keep the port on restarts: the peer dials the address it was given.
  const port = Number(first.bridge.listen.slice(first.bridge.listen.lastIndexOf(':') + 1));
  bridgeOptions = { ...bridgeOptions, listen: `${host}:${port}` };
  const site: TestSite = {
    name,
    server,
    dir,
    audit,
    system: first.system,
    bridge: first.bridge,
    async node(n: string) {
      const s = await ActorSystem.start({
        name,
        node: `${name}-${n}`,
        logLevel: 'silent',
        transport: server.transport,
      });
      nodes.push(s);
      return s;
    },
    async restart(extra?: BridgeOptions) {
      await site.system.shutdown({ timeoutMs: 3000 });
      if (extra) bridgeOptions = { ...bridgeOptions, ...extra };
      const next = await boot();
      site.system = next.system;
      site.bridge = next.bridge;
    },
    events(kind: string) {
      return audit.events.filter((e) => e.kind === kind).map((e) => e.data);
    },
    async close() {
      await Promise.all(nodes.splice(0).map((s) => s.shutdown({ timeoutMs: 2000 })));
      await site.system.shutdown({ timeoutMs: 3000 });
      await rm(dir, { recursive: true, force: true });
    },
  };
  return site;
}

/** Pairs `joiner` with `inviter` through an invite, as `troupe mesh invite` / `join` do. */
export async function pairSites(inviter: TestSite, joiner: TestSite): Promise<string> {
  const { token } = await inviter.system.ask(inviter.bridge.ref, 'invite', {}, { timeout: 5000 });
  await joiner.system.ask(joiner.bridge.ref, 'join', { token }, { timeout: 15_000 });
  return token;
}
