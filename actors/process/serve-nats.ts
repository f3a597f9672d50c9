import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { TransportError } from '../../runtime/index.ts';
import { renderNatsConfig } from './nats-config.ts';
import type { AgentPlace } from './nats-permissions.ts';

export interface ServedNats {
  readonly url: string;
  readonly port: number;
  readonly configFile: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NATS_SERVER_BIN) return env.NATS_SERVER_BIN;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  for (const p of ['/usr/sbin/nats-server', '/usr/local/bin/nats-server'])
    if (existsSync(p)) return p;
  throw new TransportError('nats-server not found: install it or set NATS_SERVER_BIN');
}

/**
 * Start a nats-server for one host with the generated configuration (`troupe up
 * --serve-nats`): loopback, a free port unless one is given, stopped with the troupe.
 */
export async function serveNats(o: {
  system: string;
  agents: readonly AgentPlace[];
  masterKey: Uint8Array;
  port?: number;
  jetstream?: boolean;
  timeoutMs?: number;
}): Promise<ServedNats> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-nats-'));
  const configFile = join(dir, 'nats.conf');
  const text = renderNatsConfig({
    system: o.system,
    agents: o.agents,
    masterKey: o.masterKey,
    listen: `127.0.0.1:${o.port ?? -1}`,
    portsFileDir: dir,
    jetstreamDir: o.jetstream ? join(dir, 'js') : undefined,
  });
  await writeFile(configFile, text, { mode: 0o600 });
  const bin = findNatsServer();
  const child: ChildProcess = spawn(bin, ['-c', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString();
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  const deadline = Date.now() + (o.timeoutMs ?? 10_000);
  let port = 0;
  while (port === 0) {
    const dead = await Promise.race([
      exited.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 25)),
    ]);
    if (dead)
      throw new TransportError(
        `nats-server exited at start: ${stderr.trim().split('\n').pop() ?? ''}`,
      );
    for (const f of await readdir(dir)) {
      if (!f.endsWith('.ports')) continue;
      try {
        const ports = JSON.parse(await readFile(join(dir, f), 'utf8')) as { nats?: string[] };
        const u = ports.nats?.[0];
        if (u) port = Number(new URL(u).port);
      } catch {
        // Written but not complete yet: read it again on the next turn.
      }
    }
    if (port === 0 && Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new TransportError('nats-server did not report its port in time');
    }
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    configFile,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
