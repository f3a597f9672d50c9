import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { natsServerBinary } from '../support/nats-server.ts';

const DIR = resolve(import.meta.dirname, '../../deploy/nats');
const bin = natsServerBinary();
if (!bin)
  throw new Error(
    'nats-server not found: install it (apt-get install -y nats-server) or set NATS_SERVER_BIN',
  );

describe('shipped NATS server configs', () => {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.conf'))) {
    it(`${file} is accepted by this nats-server and never lets anonymous clients in`, () => {
      const text = readFileSync(join(DIR, file), 'utf8');
      expect(text).toMatch(/APP \{[\s\S]*users:/);
      expect(text).toMatch(/system_account: SYS/);
      const r = spawnSync(bin, ['-t', '-c', join(DIR, file)], {
        env: {
          ...process.env,
          TROUPE_NATS_PASS: 'p1',
          TROUPE_NATS_SYS_PASS: 'p2',
          // The cluster configs: per-node users and route authorization.
          TROUPE_NATS_N1_PASS: 'p3',
          TROUPE_NATS_N2_PASS: 'p4',
          TROUPE_NATS_N3_PASS: 'p5',
          TROUPE_NATS_ROUTE_USER: 'route',
          TROUPE_NATS_ROUTE_PASS: 'p6',
          TROUPE_NATS_ROUTE_N1: 'nats-route://route:p6@troupe-n1:6222',
          TROUPE_NATS_ROUTE_N2: 'nats-route://route:p6@troupe-n2:6222',
          TROUPE_NATS_ROUTE_N3: 'nats-route://route:p6@troupe-n3:6222',
        },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('is valid');
    });
  }

  it('is checked by a server that refuses 2.10-only keys (so the check above means something)', () => {
    const bad = join(tmpdir(), `troupe-bad-${process.pid}.conf`);
    writeFileSync(
      bad,
      'listen: 127.0.0.1:4222\ncluster { name: c, listen: 127.0.0.1:6222, pool_size: 3 }\n',
    );
    const r = spawnSync(bin, ['-t', '-c', bad], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/pool_size/);
  });
});
