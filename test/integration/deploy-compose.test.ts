// The compose deployment, checked without a Docker engine: the file against a schema of what
// it must say, then its NATS config started as a real 3-node cluster (nats-server 2.9.10) and
// its troupe processes (ledger, witness, two team workers) run with their compose environment,
// pointed at that cluster.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { freePort, natsServerBinary } from '../support/nats-server.ts';
import { eventually, spawnTs, stopChild } from '../support/processes.ts';
import { runTroupe } from '../support/troupe-cli.ts';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const ROOT = resolve(import.meta.dirname, '../..');
const DIR = join(ROOT, 'deploy/compose');
const bin = natsServerBinary();
if (!bin) throw new Error('nats-server not found: install it or set NATS_SERVER_BIN');

const Env = z.record(z.string(), z.string());
const Service = z
  .object({
    image: z.string().min(1),
    build: z.object({ context: z.string(), dockerfile: z.string() }).strict().optional(),
    command: z.array(z.string()).min(1).optional(),
    environment: Env.optional(),
    volumes: z.array(z.string().regex(/^[\w./-]+:\/[\w./-]*(:ro)?$/)).optional(),
    ports: z.array(z.string().regex(/^(127\.0\.0\.1:)?\d+:\d+$/)).optional(),
    depends_on: z
      .record(
        z.string(),
        z.object({ condition: z.enum(['service_started', 'service_healthy']) }).strict(),
      )
      .optional(),
    healthcheck: z
      .object({
        test: z.array(z.string()).min(2),
        interval: z.string(),
        timeout: z.string(),
        retries: z.number().int().positive(),
      })
      .strict()
      .optional(),
    restart: z.enum(['no', 'always', 'unless-stopped', 'on-failure']),
    profiles: z.array(z.string()).optional(),
  })
  .strict();
const Compose = z
  .object({
    name: z.string(),
    services: z.record(z.string(), Service),
    volumes: z.record(z.string(), z.null()),
  })
  .passthrough();

const compose = Compose.parse(
  parse(readFileSync(join(DIR, 'compose.yaml'), 'utf8'), { merge: true }),
);
const svc = (name: string) => {
  const s = compose.services[name];
  if (!s) throw new Error(`compose has no service ${name}`);
  return s;
};

/** Compose's `${VAR:?message}` interpolation, from these values. */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::\?[^}]*)?\}/g, (_m, k: string) => {
    const v = vars[k];
    if (v === undefined) throw new Error(`compose needs ${k}`);
    return v;
  });
}

describe('deploy/compose/compose.yaml', () => {
  it('has the 3-node NATS cluster, the ledger, the witness and two workers, wired right', () => {
    const nats = ['nats-1', 'nats-2', 'nats-3'];
    for (const n of nats) {
      const s = svc(n);
      expect(s.image).toBe('nats:2.9.10-alpine');
      expect(s.volumes).toContain('./nats.conf:/etc/nats/nats.conf:ro');
      expect(s.environment?.NATS_SERVER_NAME).toBe(n);
      expect(s.healthcheck).toBeDefined();
      // secrets come from the environment, and compose refuses to start without them
      for (const k of ['TROUPE_NATS_PASS', 'TROUPE_NATS_SYS_PASS', 'TROUPE_NATS_ROUTE_PASS'])
        expect(s.environment?.[k]).toMatch(new RegExp(`^\\$\\{${k}:\\?`));
    }
    for (const t of ['ledger', 'witness', 'worker-1', 'worker-2']) {
      const s = svc(t);
      expect(s.build?.dockerfile).toBe('deploy/Dockerfile');
      expect(s.command?.[0]).toBe('up');
      expect(s.environment?.TROUPE_NATS_URL?.split(',')).toEqual(
        nats.map((n) => `nats://${n}:4222`),
      );
      expect(s.environment?.TROUPE_NATS_PASS).toMatch(/^\$\{TROUPE_NATS_PASS:\?/);
      for (const d of Object.keys(s.depends_on ?? {})) expect(compose.services[d]).toBeDefined();
    }
    expect(svc('witness').depends_on?.ledger?.condition).toBe('service_healthy');
    // every named volume is declared
    for (const s of Object.values(compose.services))
      for (const v of s.volumes ?? []) {
        const name = v.split(':')[0]!;
        if (!name.startsWith('.')) expect(compose.volumes, v).toHaveProperty(name);
      }
  });

  describe('its NATS config as a real 3-node cluster, with the troupe processes on it', () => {
    const base = mkdtempSync(join(tmpdir(), 'troupe-compose-'));
    const secrets = {
      TROUPE_NATS_PASS: 'app-pw',
      TROUPE_NATS_SYS_PASS: 'sys-pw',
      TROUPE_NATS_ROUTE_PASS: 'route-pw',
    };
    const servers: ChildProcess[] = [];
    const procs: Awaited<ReturnType<typeof spawnTs>>[] = [];
    const ports: { client: number; cluster: number; monitor: number }[] = [];
    let urls = '';

    /** A compose service's environment for a process on this machine. */
    function localEnv(name: string): NodeJS.ProcessEnv {
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(svc(name).environment ?? {})) {
        let value = interpolate(v, secrets);
        value = value.replace(
          /nats-(\d):4222/g,
          (_m, i: string) => `127.0.0.1:${ports[Number(i) - 1]!.client}`,
        );
        value = value.replace(
          /nats-route:\/\/([^@]+)@nats-(\d):6222/g,
          (_m, cred: string, i: string) =>
            `nats-route://${cred}@127.0.0.1:${ports[Number(i) - 1]!.cluster}`,
        );
        // the service's volumes, as folders of this test
        value = value
          .replace(/^\/data\b/, join(base, name))
          .replace(/^\/ledger\b/, join(base, 'ledger'));
        env[k] = value;
      }
      return env;
    }

    beforeAll(async () => {
      for (let i = 0; i < 3; i++)
        ports.push({
          client: await freePort(),
          cluster: await freePort(),
          monitor: await freePort(),
        });
      urls = ports.map((p) => `nats://127.0.0.1:${p.client}`).join(',');
      for (let i = 0; i < 3; i++) {
        const name = `nats-${i + 1}`;
        const env = {
          ...localEnv(name),
          NATS_CLIENT_PORT: String(ports[i]!.client),
          NATS_CLUSTER_PORT: String(ports[i]!.cluster),
          NATS_MONITOR_PORT: String(ports[i]!.monitor),
          NATS_STORE_DIR: join(base, name, 'jetstream'),
        };
        const p = spawn(bin!, ['-c', join(DIR, 'nats.conf')], { env, stdio: 'ignore' });
        servers.push(p);
      }
      // The cluster is formed when every node sees both others on its route port.
      await eventually(
        async () => {
          for (const p of ports) {
            const r = (await (await fetch(`http://127.0.0.1:${p.monitor}/routez`)).json()) as {
              num_routes: number;
            };
            if (r.num_routes < 2) throw new Error(`routes: ${r.num_routes}`);
          }
        },
        60_000,
        250,
      );
    });
    afterAll(async () => {
      await Promise.all(procs.map((p) => stopChild(p)));
      for (const s of servers) s.kill('SIGKILL');
      rmSync(base, { recursive: true, force: true });
    });

    it('formed with route auth, refuses anonymous clients, and has JetStream', async () => {
      for (const p of ports) {
        const v = (await (await fetch(`http://127.0.0.1:${p.monitor}/varz`)).json()) as {
          version: string;
          cluster: { name: string };
        };
        expect(v.cluster.name).toBe('troupe');
        expect(v.version).toMatch(/^2\.9\./);
      }
      await expect(connect({ servers: urls.split(','), reconnect: false })).rejects.toThrow(
        /Authorization/i,
      );
      const nc = await connect({
        servers: urls.split(','),
        user: 'troupe',
        pass: secrets.TROUPE_NATS_PASS,
      });
      try {
        const info = nc.info!;
        expect(info.jetstream).toBe(true);
      } finally {
        await nc.close();
      }
    });

    it('runs the ledger, the witness and both workers as compose starts them; the tree shows the team', async () => {
      const start = async (name: string, ready: RegExp) => {
        const command = svc(name).command!;
        for (const d of ['ledger', 'witness']) mkdirSync(join(base, d), { recursive: true });
        const p = await spawnTs('bin/troupe.js', command, {
          env: { ...localEnv(name), TROUPE_LOG_LEVEL: 'warn' },
          ready,
          readyTimeoutMs: 180_000,
        });
        procs.push(p);
        return p;
      };
      await start('ledger', /serving/);
      await start('witness', /serving/);
      await start('worker-1', /serving/);
      await start('worker-2', /serving/);
      const env = localEnv('cli');
      const rows = await eventually(
        async () => {
          const r = await runTroupe(['tree', '--json'], env, 120_000);
          if (r.code !== 0) throw new Error(r.stderr);
          const rows = JSON.parse(r.stdout) as { path: string; node: string; status: string }[];
          const members = rows.filter((x) => /^team\/(coder|reviewer)$/.test(x.path));
          if (members.length < 2 || members.some((m) => m.status !== 'running'))
            throw new Error(`team not up yet: ${r.stdout}`);
          return rows;
        },
        120_000,
        500,
      );
      const nodes = new Set(rows.map((r) => r.node));
      for (const n of ['ledger', 'witness', 'worker-1', 'worker-2']) expect(nodes).toContain(n);
      expect(rows.find((r) => r.path === 'team')?.node).toBe('worker-1');
      for (const m of rows.filter((r) => /^team\//.test(r.path)))
        expect(['worker-1', 'worker-2']).toContain(m.node);
      expect(rows.some((r) => r.node === 'ledger' && r.path === 'ledger')).toBe(true);
    });
  });
});
