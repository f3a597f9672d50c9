import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Real nats-servers for tests: spawned from the binary on free loopback ports, with a
 * temporary JetStream store and an application account (never anonymous: on 2.9.10 a config
 * with only $SYS lets anonymous clients in). Docker's `@testcontainers/nats` is the fallback.
 */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly user: string;
  readonly pass: string;
  readonly storeDir: string;
  /** Options to spread into a troupe nats transport. */
  readonly transport: { kind: 'nats'; servers: string; user: string; pass: string };
  /** Stop gracefully (SIGTERM) or hard (SIGKILL). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start again on the same port with the same store. */
  restart(): Promise<void>;
  readonly pid: number | undefined;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export function natsServerBinary(): string | undefined {
  const env = process.env.NATS_SERVER_BIN;
  if (env) {
    if (!existsSync(env)) throw new Error(`NATS_SERVER_BIN=${env} does not exist`);
    return env;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, 'nats-server');
    if (dir && existsSync(p)) return p;
  }
  for (const p of ['/usr/sbin/nats-server', '/usr/local/bin/nats-server'])
    if (existsSync(p)) return p;
  return undefined;
}

function dockerAvailable(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

const HOW_TO_INSTALL =
  'nats-server not found: install it (apt-get install -y nats-server) or set NATS_SERVER_BIN to its path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForTcp(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > end)
      throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface ServerOptions {
  jetstream?: boolean;
  /** Extra config lines (cluster block, limits). */
  extra?: string;
  serverName?: string;
  port?: number;
  maxPayload?: number;
  user?: string;
  pass?: string;
}

function config(dir: string, port: number, user: string, pass: string, o: ServerOptions): string {
  const js = o.jetstream !== false;
  return [
    `listen: 127.0.0.1:${port}`,
    `ports_file_dir: "${dir}"`,
    o.serverName ? `server_name: ${o.serverName}` : '',
    o.maxPayload ? `max_payload: ${o.maxPayload}` : '',
    js
      ? `jetstream { store_dir: "${join(dir, 'js')}", max_memory_store: 268435456, max_file_store: 2147483648 }`
      : '',
    'accounts {',
    `  APP { ${js ? 'jetstream: enabled, ' : ''}users: [ { user: "${user}", password: "${pass}" } ] }`,
    `  SYS { users: [ { user: "sys", password: "${randomBytes(12).toString('hex')}" } ] }`,
    '}',
    'system_account: SYS',
    o.extra ?? '',
  ].join('\n');
}

/** Start one nats-server; rejects with one line on how to install it when it is missing. */
export async function startNatsServer(o: ServerOptions = {}): Promise<NatsServer> {
  const bin = natsServerBinary();
  if (!bin) {
    if (dockerAvailable()) return startInDocker();
    throw new Error(HOW_TO_INSTALL);
  }
  const dir = mkdtempSync(join(tmpdir(), 'troupe-nats-'));
  const user = o.user ?? 'troupe';
  const pass = o.pass ?? randomBytes(12).toString('hex');
  const port = o.port ?? (await freePort());
  const conf = join(dir, 'server.conf');
  writeFileSync(conf, config(dir, port, user, pass, o));
  let proc: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const p = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr?.on('data', (d) => {
      stderr = (stderr + String(d)).slice(-4000);
    });
    live.add(p);
    p.once('exit', () => live.delete(p));
    proc = p;
    const exited = new Promise<never>((_, rej) =>
      p.once('exit', (code) => rej(new Error(`nats-server exited (${code}): ${stderr.trim()}`))),
    );
    exited.catch(() => {});
    await Promise.race([waitForTcp(port, 10_000), exited]);
  };
  await launch();
  const url = `nats://127.0.0.1:${port}`;
  const server: NatsServer = {
    url,
    port,
    user,
    pass,
    storeDir: join(dir, 'js'),
    transport: { kind: 'nats', servers: url, user, pass },
    get pid() {
      return proc?.pid;
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const gone = new Promise<void>((res) => p.once('exit', () => res()));
      p.kill(signal);
      const t = setTimeout(() => p.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    },
    async restart() {
      await server.stop();
      await launch();
    },
  };
  cleanups.push(async () => {
    await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return server;
}

const cleanups: (() => Promise<void>)[] = [];

/** Stop every server this process started and remove their stores. */
export async function stopAllNatsServers(): Promise<void> {
  const c = cleanups.splice(0);
  await Promise.all(c.map((f) => f()));
}

/** A 3-node (or n-node) cluster on loopback, routes between all nodes, JetStream on each. */
export async function startNatsCluster(n = 3): Promise<NatsServer[]> {
  const clientPorts = await Promise.all(Array.from({ length: n }, () => freePort()));
  const routePorts = await Promise.all(Array.from({ length: n }, () => freePort()));
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
  // Every node needs the same users: generate once, then pass them into each config.
  const pass = randomBytes(12).toString('hex');
  const servers = await Promise.all(
    clientPorts.map((port, i) =>
      startNatsServer({
        port,
        serverName: `n${i + 1}`,
        pass,
        extra: `cluster { name: troupe-test, listen: 127.0.0.1:${routePorts[i]}, routes: [${routes}] }`,
      }),
    ),
  );
  return servers;
}

async function startInDocker(): Promise<NatsServer> {
  const { NatsContainer } = await import('@testcontainers/nats');
  const user = 'troupe';
  const pass = randomBytes(12).toString('hex');
  const c = await new NatsContainer('nats:2.9.10-alpine')
    .withUsername(user)
    .withPass(pass)
    .withJetStream()
    .start();
  const opts = c.getConnectionOptions();
  const url = Array.isArray(opts.servers) ? String(opts.servers[0]) : String(opts.servers);
  const port = Number(new URL(url.replace('nats://', 'http://')).port);
  return {
    url,
    port,
    user,
    pass,
    storeDir: '',
    transport: { kind: 'nats', servers: url, user, pass },
    pid: undefined,
    async stop() {
      await c.stop();
    },
    async restart() {
      await c.restart();
    },
  };
}
