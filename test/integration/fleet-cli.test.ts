// troupe ps, top, logs, events and `up --dashboard` against a real nats-server and a real
// `troupe up` node in its own process; bad input gets a clear error and a non-zero exit.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorSystem, actorRef } from '../../index.ts';
import { expectRefusals, type Refusal } from '../support/cli-refusals.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { spawnTs, stopChild } from '../support/processes.ts';
import { runTroupe } from '../support/troupe-cli.ts';

let server: NatsServer;
let env: NodeJS.ProcessEnv;
let host: Awaited<ReturnType<typeof spawnTs>>;
let client: ActorSystem;
let nats: string[];
const tmp = mkdtempSync(join(tmpdir(), 'troupe-fleet-cli-'));
const nodeLog = join(tmp, 'node.log');

const troupe = (args: string[]) => runTroupe(args, env, 45_000);
/** `troupe logs <actor>` read from a node log file, with more flags. */
const logsFrom = (file: string, actor: string, ...more: string[]) => [
  'logs',
  actor,
  ...nats,
  '--log-file',
  file,
  ...more,
];

/** Crash the crew's crasher once: a `crashed` and a `restarted` event, an error log line. */
function crash(why = 'boom'): void {
  client.tell(actorRef('crew', 'crew/crasher'), 'crash' as never, { why } as never);
}

/** Crash every 500 ms until `until` settles (bounded: 80 tries). */
async function crashUntil<T>(until: Promise<T>): Promise<T> {
  let done = false;
  const settled = until.finally(() => {
    done = true;
  });
  for (let i = 0; i < 80 && !done; i++) {
    crash(`boom ${i}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return settled;
}

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
  env = { TROUPE_NATS_USER: server.user, TROUPE_NATS_PASS: server.pass };
  nats = ['--nats', server.url, '--system', 'crew'];
  host = await spawnTs(
    'bin/troupe.js',
    ['up', 'test/fixtures/crew.ts', ...nats, '--node', 'n1', '--log-file', nodeLog],
    { env: { ...env, TROUPE_LOG_LEVEL: 'info' }, ready: /serving/, readyTimeoutMs: 30_000 },
  );
  client = await ActorSystem.start({
    name: 'crew',
    node: 'test-client',
    logLevel: 'silent',
    heartbeatMs: 0,
    transport: server.transport,
  });
  crash('first crash');
}, 60_000);

afterAll(async () => {
  await client?.shutdown({ timeoutMs: 2000 });
  if (host) await stopChild(host);
  await stopAllNatsServers();
  rmSync(tmp, { recursive: true, force: true });
});

// Each CLI run is a Node process: a few seconds apiece on a loaded 2-core machine.
const SLOW = 180_000;

/** A test that each command line of `cases` is refused as it says (built once the server runs). */
function itRefuses(title: string, cases: () => Refusal[]): void {
  it(title, () => expectRefusals(troupe, cases()), SLOW);
}

describe('troupe ps', () => {
  it(
    'lists every actor across nodes with status, restarts, uptime, mailbox and last failure',
    async () => {
      const r = await troupe(['ps', ...nats]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toMatch(
        /^NODE\s+ACTOR\s+TYPE\s+STATUS\s+RESTARTS\s+UPTIME\s+MAILBOX\s+PID\s+RSS\s+CPU\s+LAST FAILURE$/,
      );
      const actors = lines.slice(1).map((l) => l.split(/\s{2,}/));
      expect(actors.filter((a) => a[0] === 'n1').map((a) => a[1])).toEqual([
        'crew',
        'crew/crasher',
        'crew/ticker',
      ]);
      // The crash of beforeAll: at least one restart, its reason.
      const crasher = actors.find((a) => a[1] === 'crew/crasher')!;
      expect(crasher[3]).toBe('running');
      expect(Number(crasher[4])).toBeGreaterThanOrEqual(1);
      expect(crasher.at(-1)).toMatch(/boom|first crash/);
      // The test's own client node is another node of the system: it shows up, sys/ actors do not.
      expect(actors.some((a) => a[1]!.startsWith('sys/'))).toBe(false);

      const json = await troupe(['ps', ...nats, '--node', 'n1', '--json']);
      expect(json.code, json.stderr).toBe(0);
      const rows = JSON.parse(json.stdout) as {
        node: string;
        mailboxDepth: number;
        messages: number;
      }[];
      expect(new Set(rows.map((x) => x.node))).toEqual(new Set(['n1']));
      for (const row of rows) {
        expect(row.mailboxDepth).toBe(0);
        expect(row.messages).toBeGreaterThanOrEqual(0);
      }
    },
    SLOW,
  );

  itRefuses('refuses an unknown node, stray arguments and unknown flags', () => [
    [
      ['ps', ...nats, '--node', 'ghost'],
      1,
      /^troupe: InvalidArgumentError: node ghost did not answer \(nodes: .*n1/,
    ],
    [['ps', 'extra', ...nats], 2, 'ps takes no arguments'],
    [['ps', '--colour', ...nats], 2, "Unknown option '--colour'"],
    [
      ['ps', '--nats', server.url, '--system', 'nobody'],
      1,
      { exactly: 'troupe: TransportError: no node of system nobody answered on NATS' },
    ],
  ]);
});

describe('troupe top', () => {
  it(
    'measures message rates between two readings and sorts by them or by mailbox depth',
    async () => {
      // The ticker handles 20 messages a second on its own.
      const r = await troupe([
        'top',
        ...nats,
        '--node',
        'n1',
        '--interval',
        '1500',
        '--count',
        '2',
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const frames = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { path: string; rate: number }[]);
      expect(frames).toHaveLength(2);
      for (const f of frames) {
        // The ticker takes the traffic: it heads the list, at a measured rate.
        expect(f[0]!.path).toBe('crew/ticker');
        expect(f[0]!.rate).toBeGreaterThan(0);
        expect(f.map((x) => x.rate)).toEqual([...f.map((x) => x.rate)].sort((a, b) => b - a));
      }
      const text = await troupe([
        'top',
        ...nats,
        '--sort',
        'mailbox',
        '--interval',
        '300',
        '--count',
        '1',
      ]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain('sorted by mailbox');
      expect(text.stdout).toMatch(
        /NODE\s+ACTOR\s+TYPE\s+STATUS\s+MSG\/S\s+MAILBOX\s+RESTARTS\s+UPTIME/,
      );
    },
    SLOW,
  );

  itRefuses('refuses a bad sort key, interval or count', () => [
    [
      ['top', ...nats, '--sort', 'cpu'],
      1,
      { exactly: 'troupe: InvalidArgumentError: --sort must be rate or mailbox (got "cpu")' },
    ],
    [
      ['top', ...nats, '--interval', 'fast'],
      1,
      '--interval must be a whole number ≥ 200 (got "fast")',
    ],
    [['top', ...nats, '--count', '0'], 1, '--count must be a whole number ≥ 1'],
  ]);
});

describe('troupe logs', () => {
  it(
    "prints the actor's lines from its node's log file",
    async () => {
      const r = await troupe(logsFrom(nodeLog, 'crew/crasher'));
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(/^\S+Z (ERROR|WARN |INFO ) n1 crew\/crasher /);
      expect(r.stdout).toContain('handler failed');
      // Only the asked actor's lines: every line of the file is about the crasher, so the
      // ticker, which logged nothing, has none.
      expect(readFileSync(nodeLog, 'utf8')).toContain('"actor":"crew/crasher"');
      const ticker = await troupe(logsFrom(nodeLog, 'crew/ticker'));
      expect(ticker).toMatchObject({ code: 0, stdout: '' });
      const json = await troupe(logsFrom(nodeLog, 'crew/crasher', '--lines', '1', '--json'));
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        actor: 'crew/crasher',
        node: 'n1',
        system: 'crew',
      });
    },
    SLOW,
  );

  it(
    'follows the node log live over NATS with -f',
    async () => {
      const follower = spawnTs('bin/troupe.js', ['logs', 'crew/crasher', '-f', ...nats], {
        env: { ...env, TROUPE_LOG_LEVEL: 'silent' },
        ready: /handler failed/,
        readyTimeoutMs: 40_000,
      });
      // The follower subscribes once it has found the actor: crash until its line shows.
      const c = await crashUntil(follower);
      expect(c.output()).toMatch(/ERROR n1 crew\/crasher handler failed/);
      await stopChild(c);
    },
    SLOW,
  );

  itRefuses(
    'refuses an unknown agent, a missing log file, a node log without -f, a bad path',
    () => [
      [
        ['logs', 'crew/ghost', ...nats],
        1,
        { exactly: 'troupe: NoSuchActorError: no actor at crew/ghost (system crew)' },
      ],
      [logsFrom(join(tmp, 'nope.log'), 'crew/crasher'), 1, 'does not exist'],
      [
        ['logs', 'crew/crasher', ...nats],
        1,
        "crew/crasher runs inside node n1: its lines are in that node's log",
      ],
      [['logs', '/crew/', ...nats], 1, 'is not an actor path'],
      [['logs', ...nats], 2, 'logs takes <agent>'],
      [logsFrom(nodeLog, 'crew/crasher', '--lines', 'many'), 1, '--lines must be a whole number'],
    ],
  );
});

describe('troupe events', () => {
  it(
    'streams the lifecycle events, filtered by kind, actor and node',
    async () => {
      const watcher = spawnTs(
        'bin/troupe.js',
        [
          'events',
          '-f',
          ...nats,
          '--kind',
          'crashed,restarted',
          '--actor',
          'crew/crasher',
          '--node',
          'n1',
          '--json',
        ],
        {
          env: { ...env, TROUPE_LOG_LEVEL: 'silent' },
          // A crash and its restart both seen (the first crash may come before the subscription).
          ready: /"kind":"crashed"[\s\S]*"kind":"restarted"/,
          readyTimeoutMs: 40_000,
        },
      );
      const c = await crashUntil(watcher);
      await stopChild(c);
      const events = c
        .output()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { node: string; kind: string; path: string; reason?: string });
      expect(events.length).toBeGreaterThanOrEqual(2);
      for (const e of events) {
        expect(e.node).toBe('n1');
        expect(e.path).toBe('crew/crasher');
        expect(['crashed', 'restarted']).toContain(e.kind);
      }
      expect(events.find((e) => e.kind === 'crashed')?.reason).toMatch(/^boom \d+$/);
    },
    SLOW,
  );

  it(
    'without -f listens for --timeout ms or --count events, then exits',
    async () => {
      const quiet = await troupe(['events', ...nats, '--kind', 'gaveUp', '--timeout', '300']);
      expect(quiet).toMatchObject({ code: 0, stdout: '' });
    },
    SLOW,
  );

  itRefuses('refuses an unknown kind, a bad node name, a bad count', () => [
    [
      ['events', ...nats, '--kind', 'crashed,exploded'],
      1,
      'unknown event kind "exploded" (kinds: started, stopped, crashed',
    ],
    [['events', ...nats, '--node', 'a.b'], 1, '--node "a.b" is not a node name'],
    [['events', ...nats, '--count', 'many'], 1, '--count must be a whole number ≥ 1'],
  ]);
});

describe('troupe up --dashboard', () => {
  it(
    'serves the dashboard from the node itself, on loopback',
    async () => {
      const up = await spawnTs(
        'bin/troupe.js',
        [
          'up',
          'examples/counter/counter.ts',
          '--nats',
          server.url,
          '--system',
          'dash',
          '--dashboard',
          '--port',
          '0',
        ],
        { env: { ...env, TROUPE_LOG_LEVEL: 'silent' }, ready: /serving/, readyTimeoutMs: 30_000 },
      );
      try {
        const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(up.output())![1]!;
        const page = await fetch(url);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<canvas id="rate-plot"');
        let state: { system: string; actors: { path: string }[] } = { system: '', actors: [] };
        for (let i = 0; i < 50 && !state.actors.some((a) => a.path === 'counter'); i++) {
          state = (await (await fetch(`${url}api/state`)).json()) as typeof state;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(state.system).toBe('dash');
        expect(state.actors.map((a) => a.path)).toContain('counter');
      } finally {
        await stopChild(up);
      }
      const bad = await troupe(['dashboard', ...nats, '--port', '99999']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('--port must be ≤ 65535');
    },
    SLOW,
  );
});
