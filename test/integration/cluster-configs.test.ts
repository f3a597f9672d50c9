import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActorRef, ActorSystem } from '../../index.ts';
import { Recorder } from '../support/defs.ts';
import { freePort, natsServerBinary } from '../support/nats-server.ts';
import { eventually } from '../support/processes.ts';

/**
 * The shipped 3-node configs (deploy/nats/cluster-n*.conf), run as shipped except for the
 * addresses, ports and store directory: route authorization refuses a server without the
 * route credentials, every client port refuses a client without credentials, and the
 * per-node users carry exactly what a troupe node needs.
 */
const DIR = resolve(import.meta.dirname, '../../deploy/nats');
const bin = natsServerBinary();
if (!bin) throw new Error('nats-server not found: install it or set NATS_SERVER_BIN');

interface Node {
  client: number;
  route: number;
  http: number;
  log: string;
  proc: ChildProcess;
}

const tmp = mkdtempSync(join(tmpdir(), 'troupe-cluster-conf-'));
const procs: ChildProcess[] = [];
const conns: NatsConnection[] = [];
const systems: ActorSystem[] = [];
// nats-server parses an environment value as a config value: a password that starts with a
// digit would be read as a number. Letters first (the configs' comment says so).
const pw = () => `p${randomBytes(9).toString('hex')}`;
const env: Record<string, string> = {
  TROUPE_NATS_PASS: pw(),
  TROUPE_NATS_N1_PASS: pw(),
  TROUPE_NATS_N2_PASS: pw(),
  TROUPE_NATS_N3_PASS: pw(),
  TROUPE_NATS_SYS_PASS: pw(),
  TROUPE_NATS_ROUTE_USER: 'route',
  TROUPE_NATS_ROUTE_PASS: pw(),
};
const nodes: Node[] = [];

function launch(conf: string, log: string, extraEnv: Record<string, string>): ChildProcess {
  const p = spawn(bin!, ['-c', conf, '-l', log], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...extraEnv },
  });
  let stderr = '';
  p.stderr?.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-2000);
  });
  p.once('error', (err) => console.error(`nats-server ${conf}: ${err.message}`));
  p.once('exit', (code) => {
    if (code !== null && code !== 0) console.error(`nats-server ${conf} exited ${code}: ${stderr}`);
  });
  procs.push(p);
  return p;
}

const readLog = (f: string): string => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

async function routez(n: Node): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${n.http}/routez`);
  return ((await r.json()) as { num_routes: number }).num_routes;
}

beforeAll(async () => {
  const ports = await Promise.all(Array.from({ length: 9 }, () => freePort()));
  for (let i = 0; i < 3; i++) {
    nodes.push({
      client: ports[i]!,
      route: ports[3 + i]!,
      http: ports[6 + i]!,
      log: join(tmp, `n${i + 1}.log`),
      proc: undefined as unknown as ChildProcess,
    });
  }
  for (let i = 0; i < 3; i++) {
    env[`TROUPE_NATS_ROUTE_N${i + 1}`] =
      `nats-route://route:${env.TROUPE_NATS_ROUTE_PASS}@127.0.0.1:${nodes[i]!.route}`;
  }
  for (let i = 0; i < 3; i++) {
    const n = nodes[i]!;
    const text = readFileSync(join(DIR, `cluster-n${i + 1}.conf`), 'utf8');
    // Only addresses and paths change: the authorization blocks and users run as shipped.
    const patched = text
      .replace('listen: 0.0.0.0:4222', `listen: 127.0.0.1:${n.client}`)
      .replace('http: 127.0.0.1:8222', `http: 127.0.0.1:${n.http}`)
      .replace('listen: 0.0.0.0:6222', `listen: 127.0.0.1:${n.route}`)
      .replace('/var/lib/nats-server/jetstream', join(tmp, `js${i + 1}`));
    expect(patched).not.toBe(text);
    const conf = join(tmp, `n${i + 1}.conf`);
    writeFileSync(conf, patched);
    n.proc = launch(conf, n.log, env);
  }
  // The cluster forms with the route credentials: each node routes to the other two.
  await eventually(async () => {
    for (const n of nodes) expect(await routez(n)).toBe(2);
  }, 30_000);
}, 60_000);

afterAll(async () => {
  for (const s of systems) await s.shutdown({ timeoutMs: 2000 }).catch(() => {});
  for (const c of conns) await c.close().catch(() => {});
  for (const p of procs) p.kill('SIGKILL');
  if (!process.env.KEEP) rmSync(tmp, { recursive: true, force: true });
});

describe('shipped cluster configs', () => {
  it('refuse a server that routes without the route credentials, on every route port', async () => {
    for (const [label, creds] of [
      ['no credentials', ''],
      ['wrong credentials', 'route:wrong@'],
    ] as const) {
      const [client, route] = await Promise.all([freePort(), freePort()]);
      const log = join(tmp, `rogue-${label.replace(' ', '-')}.log`);
      const conf = join(tmp, `rogue-${label.replace(' ', '-')}.conf`);
      writeFileSync(
        conf,
        [
          `listen: 127.0.0.1:${client}`,
          'server_name: rogue',
          `cluster { name: troupe, listen: 127.0.0.1:${route}, routes: [${nodes
            .map((n) => `nats-route://${creds}127.0.0.1:${n.route}`)
            .join(', ')}] }`,
          'accounts { APP { users: [ { user: x, password: y } ] } }',
        ].join('\n'),
      );
      const rogue = launch(conf, log, {});
      // Each real node answers the rogue's route with an authorization violation.
      await eventually(async () => {
        const text = readLog(log);
        for (const n of nodes) {
          expect(text).toMatch(new RegExp(`127\\.0\\.0\\.1:${n.route} .*Authorization Violation`));
        }
      }, 20_000);
      for (const n of nodes) expect(await routez(n)).toBe(2);
      rogue.kill('SIGKILL');
    }
  }, 60_000);

  it('refuse a client without credentials, or with wrong ones, on every client port', async () => {
    for (const n of nodes) {
      const servers = `127.0.0.1:${n.client}`;
      await expect(connect({ servers, reconnect: false })).rejects.toThrow(/authorization/i);
      await expect(
        connect({ servers, user: 'n1', pass: 'wrong', reconnect: false }),
      ).rejects.toThrow(/authorization/i);
      const ok = await connect({ servers, user: 'n1', pass: env.TROUPE_NATS_N1_PASS });
      conns.push(ok);
      await ok.flush();
    }
  }, 30_000);

  it('a route port does not take clients either', async () => {
    for (const n of nodes) {
      await expect(
        connect({ servers: `127.0.0.1:${n.route}`, reconnect: false, timeout: 3000 }),
      ).rejects.toThrow();
    }
  }, 30_000);

  it('per-node users: a node speaks only as itself on heartbeats and reads only its own control plane', async () => {
    const n1 = await connect({
      servers: `127.0.0.1:${nodes[0]!.client}`,
      user: 'n1',
      pass: env.TROUPE_NATS_N1_PASS,
    });
    const op = await connect({
      servers: `127.0.0.1:${nodes[0]!.client}`,
      user: 'troupe',
      pass: env.TROUPE_NATS_PASS,
    });
    conns.push(n1, op);
    const seen: string[] = [];
    const got = new Promise<void>((res) => {
      op.subscribe('troupe.x.hb.*', {
        callback: (_e, m) => {
          seen.push(m.subject);
          if (m.subject === 'troupe.x.hb.n1') res();
        },
      });
    });
    await op.flush();
    // One connection's messages arrive in order: the forged beat would come first.
    n1.publish('troupe.x.hb.n2', new Uint8Array([1]));
    n1.publish('troupe.x.hb.n1', new Uint8Array([1]));
    await got;
    expect(seen).toEqual(['troupe.x.hb.n1']);

    // Subscribing to another node's control plane or inbox is refused by the server.
    const ctl = n1.subscribe('troupe.x.ctl.n2.stop');
    await expect(ctl.closed).resolves.toBeInstanceOf(Error);
    const inbox = n1.subscribe('_INBOX.n2.>');
    await expect(inbox.closed).resolves.toBeInstanceOf(Error);
  }, 30_000);

  it('per-node users carry everything a troupe node needs: an ask across two nodes', async () => {
    const start = (i: number) =>
      ActorSystem.start({
        name: 'prod',
        node: `n${i}`,
        logLevel: 'silent',
        transport: {
          kind: 'nats',
          servers: `127.0.0.1:${nodes[i - 1]!.client}`,
          user: `n${i}`,
          pass: env[`TROUPE_NATS_N${i}_PASS`]!,
          inboxPrefix: `_INBOX.n${i}`,
        },
      });
    const a = await start(1);
    const b = await start(2);
    systems.push(a, b);
    a.spawn(Recorder, { name: 'echo' });
    await a.flush();
    const echo: ActorRef<NonNullable<(typeof Recorder)['__protocol']>> = {
      system: 'prod',
      path: 'echo',
    };
    await eventually(async () => {
      expect(await b.ask(echo, 'echo', { text: 'hi' }, { timeout: 1000 })).toEqual({
        text: 'hi',
        by: 'n1/echo',
      });
    }, 15_000);
    expect(b.counters().callbackErrors).toBe(0);
  }, 60_000);
});
