import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { runTroupe } from '../support/troupe-cli.ts';
import { withTroupeUp } from '../support/troupe-up.ts';

const troupe = (args: string[], env: NodeJS.ProcessEnv = {}) => runTroupe(args, env, 90_000);

// Every test here spawns CLI processes: on a loaded 2-core machine that takes its time.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

let server: NatsServer;
let natsEnv: NodeJS.ProcessEnv;
beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
  natsEnv = { TROUPE_NATS_USER: server.user, TROUPE_NATS_PASS: server.pass };
});
afterAll(async () => {
  await stopAllNatsServers();
});

describe('troupe CLI', () => {
  it('`npm start` (the README command) runs the tour embedded and exits 0', async () => {
    const pkg = JSON.parse(
      readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8'),
    ) as {
      scripts: { start: string };
    };
    const r = spawnSync('sh', ['-c', pkg.scripts.start], {
      cwd: resolve(import.meta.dirname, '../..'),
      env: { ...process.env, TROUPE_LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('counter = 42');
  });

  it('runs the counter tour embedded (what `npm start` runs)', async () => {
    const r = await troupe(['up', 'examples/counter/counter.ts', '--once']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('embedded (memory transport)');
    expect(r.stdout).toContain('counter = 42');
    expect(r.stdout).toMatch(/dead letter: rejected: counter rejected add: n: .*int/);
  });

  it('serves a module over NATS; tell and ask reach it from other processes', async () => {
    const up = ['examples/counter/counter.ts', '--nats', server.url, '--system', 'cli'];
    await withTroupeUp(up, natsEnv, async () => {
      // The module's run() added 42 at start; the CLI adds 8 more.
      const told = await troupe(
        ['tell', 'counter', 'add', '{"n":8}', '--nats', server.url, '--system', 'cli'],
        natsEnv,
      );
      expect(told).toMatchObject({ code: 0, stdout: 'sent\n' });
      const asked = await troupe(
        ['ask', 'counter', 'get', '{}', '--nats', server.url, '--system', 'cli'],
        natsEnv,
      );
      expect(asked.code).toBe(0);
      expect(JSON.parse(asked.stdout)).toBe(50);
      const bad = await troupe(
        ['ask', 'counter', 'add', '{"n":1}', '--nats', server.url, '--system', 'cli'],
        natsEnv,
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr.trim()).toBe(
        'troupe: RejectedError: counter rejected add: add is a tell, sent as an ask',
      );
      const ghost = await troupe(
        ['tell', 'ghost', 'add', '{}', '--nats', server.url, '--system', 'cli'],
        natsEnv,
      );
      expect(ghost.code).toBe(1);
      expect(ghost.stderr.trim()).toBe('troupe: NoSuchActorError: no actor at ghost');
      const late = await troupe(
        [
          'ask',
          'counter',
          'get',
          '{}',
          '--timeout',
          'soon',
          '--nats',
          server.url,
          '--system',
          'cli',
        ],
        natsEnv,
      );
      expect(late.code).toBe(1);
      expect(late.stderr).toContain('--timeout must be a positive number');
    });
  });

  it('shows the live supervision tree of a running system', async () => {
    await withTroupeUp(['examples/team/team.ts', '--nats', server.url], natsEnv, async () => {
      const r = await troupe(['tree', '--nats', server.url, '--system', 'team'], natsEnv);
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^system team: 1 node \(/);
      expect(lines[1]).toMatch(/^ACTOR\s+TYPE\s+NODE\s+STATUS\s+RESTARTS\s+UPTIME\s+LAST FAILURE$/);
      expect(lines.slice(2).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual([
        'team/',
        '└ planner',
        '└ coder',
        '└ reviewer',
      ]);
      expect(lines.find((l) => l.includes('coder'))).toMatch(
        /running\s+1\s+\d+s\s+invalid model output for "flaky parser"/,
      );
      const json = await troupe(
        ['tree', '--json', '--nats', server.url, '--system', 'team'],
        natsEnv,
      );
      const rows = JSON.parse(json.stdout) as { path: string; restarts: number }[];
      expect(rows.find((x) => x.path === 'team/coder')?.restarts).toBe(1);
      const none = await troupe(['tree', '--nats', server.url, '--system', 'nobody'], natsEnv);
      expect(none.code).toBe(1);
      expect(none.stderr.trim()).toBe(
        'troupe: TransportError: no node of system nobody answered on NATS',
      );
    });
  });

  it('plays ping-pong between two processes over NATS', async () => {
    await withTroupeUp(['examples/ping-pong/pong.ts', '--nats', server.url], natsEnv, async () => {
      const r = await troupe(['up', 'examples/ping-pong/ping.ts', '--nats', server.url, '--once'], {
        ...natsEnv,
        PING_ROUNDS: '50',
      });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/ping: 50 round trips to \S+ in \d+ ms/);
    });
  });

  it('ends with exit 1 when a top-level supervisor gives up, saying which and why', async () => {
    const r = await troupe(['up', 'test/fixtures/gives-up.ts']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'troupe: top-level actor top: reached restart intensity 1 in 60 s; last: fragile: cannot go on',
    );
  });

  it('prints one clear line and exits non-zero on bad input', async () => {
    const cases: [string[], RegExp, number][] = [
      [
        ['up', 'examples/nope.ts'],
        /^troupe: InvalidArgumentError: module examples\/nope.ts not found$/,
        1,
      ],
      [
        ['up', 'test/fixtures/bad-import.ts'],
        /^troupe: cannot load test\/fixtures\/bad-import.ts: /,
        1,
      ],
      [['up', 'runtime/index.ts'], /must export default defineTroupe/, 1],
      [
        ['tell', 'counter', 'add', '{not json', '--nats', server.url],
        /^troupe: InvalidArgumentError: message body is not valid JSON/,
        1,
      ],
      [
        ['ask', 'bad path!', 'get', '{}', '--nats', server.url],
        /^troupe: InvalidArgumentError: path segment/,
        1,
      ],
      [
        ['ask', 'counter', 'get', '{}', '--nats', 'nats://127.0.0.1:1'],
        /^troupe: TransportError: cannot connect to NATS at nats:\/\/127.0.0.1:1/,
        1,
      ],
      [
        ['up', 'examples/counter/counter.ts', '--system', 'no.dots', '--once'],
        /^troupe: InvalidArgumentError: invalid config: .*system/,
        1,
      ],
      [['frobnicate'], /^troupe: unknown command frobnicate/, 2],
      [['tell', 'counter'], /^troupe: tell takes <path> <type> <json>/, 2],
      [['up', 'x.ts', '--bogus'], /^troupe: Unknown option '--bogus'/, 2],
    ];
    for (const [args, re, code] of cases) {
      const r = await troupe(args, natsEnv);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr.split('\n')[0], args.join(' ')).toMatch(re);
    }
  });
});
