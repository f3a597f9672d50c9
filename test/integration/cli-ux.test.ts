// The CLI as a new user meets it: help, usage errors, config, errors in their own code, output.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { runTroupe } from '../support/troupe-cli.ts';
import { withTroupeUp } from '../support/troupe-up.ts';

// Process-spawning tests on a loaded 2-core machine: generous limits, no timing assertions.
const troupe = (args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) =>
  runTroupe(args, env, 90_000, cwd);

const ROOT = resolve(import.meta.dirname, '../..');
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });
let server: NatsServer;
let natsEnv: NodeJS.ProcessEnv;
let dir: string;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
  natsEnv = { TROUPE_NATS_USER: server.user, TROUPE_NATS_PASS: server.pass };
  dir = mkdtempSync(join(tmpdir(), 'troupe-cli-ux-'));
});
afterAll(async () => {
  await stopAllNatsServers();
  rmSync(dir, { recursive: true, force: true });
});

/** A user's project folder with these files. */
function project(name: string, files: Record<string, string>): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  return d;
}

/** `troupe up` of a module in a user's project of these files: it must exit 1; what it said. */
async function upFails(
  name: string,
  files: Record<string, string>,
  file: string,
  ...flags: string[]
): Promise<{ module: string; stderr: string }> {
  const module = join(project(name, files), file);
  const r = await troupe(['up', module, ...flags]);
  expect(r.code, r.stderr).toBe(1);
  return { module, stderr: r.stderr };
}

describe('troupe help and usage', () => {
  it('--help lists every command; --version prints the package version', async () => {
    const help = await troupe(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['up <module.ts>', 'tell <path> <type> <json>', 'ledger prove', 'mesh join']) {
      expect(help.stdout).toContain(c);
    }
    const version = await troupe(['--version']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('<command> --help is that command’s usage and options, not the global list', async () => {
    const r = await troupe(['tell', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: troupe tell <path> <type> <json> \[options\]/);
    expect(r.stdout).toContain('--nats <url>');
    expect(r.stdout).not.toContain('ledger verify');
    const sub = await troupe(['ledger', 'prove', '--help']);
    expect(sub.stdout).toMatch(/^usage: troupe ledger prove <dir> <index>/);
    expect(sub.stdout).toContain('--full');
    const group = await troupe(['room', '--help']);
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('room create <room>');
  });

  it('a usage error is at most three lines on stderr, exit 2', async () => {
    for (const args of [
      ['frobnicate'],
      ['tell', 'x'],
      ['up', 'a.ts', '--bogus'],
      ['mesh', 'frob'],
      ['ledger'],
    ]) {
      const r = await troupe(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines.length, r.stderr).toBeLessThanOrEqual(3);
      expect(lines[0]).toMatch(/^troupe: /);
    }
  });

  it('`ledger prove ./audit -1` says the index is wrong, not that -1 is an unknown option', async () => {
    const r = await troupe(['ledger', 'prove', './audit', '-1']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'troupe: InvalidArgumentError: index must be a whole number (got "-1")',
    );
  });
});

describe('errors in the user’s own module', () => {
  it('a throw in setup() prints the user’s file:line', async () => {
    const files = {
      'package.json': '{"type":"module"}',
      'boom.ts': [
        'export default {',
        '  setup() {',
        '    const n: number = 1;',
        "    if (n > 0) throw new Error('boom in setup');",
        '  },',
        '};',
        '',
      ].join('\n'),
    };
    const { module, stderr } = await upFails('boom', files, 'boom.ts', '--once');
    expect(stderr).toContain('troupe: boom in setup (in setup)');
    expect(stderr).toContain(`${module}:4:`);
    // troupe's own frames are not the user's business
    expect(stderr).not.toMatch(/dist\/deploy|node:internal/);
  });

  it('a syntax error shows esbuild’s message with file:line:col', async () => {
    const { module, stderr } = await upFails(
      'syntax',
      { 'package.json': '{"type":"module"}', 'bad.ts': 'export default {\n  setup( {\n};\n' },
      'bad.ts',
    );
    expect(stderr).toContain(`${module}:3:`);
    expect(stderr).toMatch(/ERROR: Expected/);
  });

  it('explains "type": "module" when a CommonJS package cannot load an ES module', async () => {
    const { stderr } = await upFails(
      'cjs',
      {
        'package.json': '{"name":"cjs","type":"commonjs"}',
        'tla.ts': 'await Promise.resolve();\nexport default { setup() {} };\n',
      },
      'tla.ts',
    );
    expect(stderr).toContain('add "type": "module" to your package.json');
  });
});

describe('talking to a running system', () => {
  it('tell reports a body its target rejects and an unknown type (exit 1); a good one is sent', async () => {
    await withTroupeUp(
      ['examples/counter/counter.ts', '--nats', server.url, '--system', 'ux'],
      natsEnv,
      async () => {
        const at = ['--nats', server.url, '--system', 'ux'];
        const bad = await troupe(['tell', 'counter', 'add', '{"n":"x"}', ...at], natsEnv);
        expect(bad.code).toBe(1);
        expect(bad.stderr).toMatch(/^troupe: RejectedError: counter rejected add: n: /);
        const unknown = await troupe(['tell', 'counter', 'frob', '{}', ...at], natsEnv);
        expect(unknown.code).toBe(1);
        expect(unknown.stderr.trim()).toBe(
          'troupe: RejectedError: counter rejected frob: no message type frob',
        );
        const good = await troupe(['tell', 'counter', 'add', '{"n":1}', ...at], natsEnv);
        expect(good).toMatchObject({ code: 0, stdout: 'sent\n' });
        const shard = await troupe(['tell', '@counter', 'add', '{"n":1}', ...at], natsEnv);
        expect(shard.stdout).toMatch(/fire-and-forget/);
      },
      90_000,
    );
  }, 180_000);

  it('honours nats.servers from troupe.config.json in tell, ask and tree (no --nats)', async () => {
    await withTroupeUp(
      ['examples/counter/counter.ts', '--nats', server.url, '--system', 'cfg'],
      natsEnv,
      async () => {
        const d = project('configured', {
          'troupe.config.json': JSON.stringify({
            system: 'cfg',
            nats: { servers: server.url, user: server.user, pass: server.pass },
          }),
        });
        const told = await troupe(['tell', 'counter', 'add', '{"n":8}'], {}, d);
        expect(told, told.stderr).toMatchObject({ code: 0, stdout: 'sent\n' });
        const asked = await troupe(['ask', 'counter', 'get', '{}'], {}, d);
        expect(asked.code, asked.stderr).toBe(0);
        expect(JSON.parse(asked.stdout)).toBe(50);
        const tree = await troupe(['tree'], {}, d);
        expect(tree.code, tree.stderr).toBe(0);
        expect(tree.stdout).toMatch(/^system cfg: 1 node/);
        // A flag still beats the file: a server nobody runs is an error, not a silent default.
        const flagged = await troupe(['tree', '--nats', 'nats://127.0.0.1:1'], {}, d);
        expect(flagged.code).toBe(1);
      },
      90_000,
    );
  }, 180_000);

  it('an empty tree says there are no actors; uptimes are never negative', async () => {
    const d = project('empty', {
      'package.json': '{"type":"module"}',
      'empty.ts': 'export default { setup() {} };\n',
    });
    await withTroupeUp(
      [join(d, 'empty.ts'), '--nats', server.url, '--system', 'empty'],
      natsEnv,
      async () => {
        const r = await troupe(['tree', '--nats', server.url, '--system', 'empty'], natsEnv);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^system empty: 1 node .*\nno actors spawned yet/);
        const all = await troupe(
          ['tree', '--all', '--json', '--nats', server.url, '--system', 'empty'],
          natsEnv,
        );
        const rows = JSON.parse(all.stdout) as { uptimeMs: number }[];
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) expect(row.uptimeMs).toBeGreaterThanOrEqual(0);
      },
      90_000,
    );
  }, 180_000);
});

describe('output', () => {
  it('program output on stdout, logs on stderr: JSON when piped, pretty with --log-format pretty', async () => {
    const piped = await troupe(['up', 'examples/counter/counter.ts', '--once'], {
      TROUPE_LOG_LEVEL: 'info',
    });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toContain('counter = 42');
    expect(piped.stdout).not.toContain('"level"');
    const json = piped.stderr.trim().split('\n').filter(Boolean);
    expect(json.length).toBeGreaterThan(0);
    for (const line of json) expect(() => JSON.parse(line)).not.toThrow();
    // the dead letter is logged without its body
    expect(piped.stderr).not.toContain('0.5');
    const pretty = await troupe(
      ['up', 'examples/counter/counter.ts', '--once', '--log-format', 'pretty'],
      { TROUPE_LOG_LEVEL: 'info' },
    );
    expect(pretty.code).toBe(0);
    expect(pretty.stderr).toMatch(/WARN.*dead letter/);
    expect(pretty.stderr).not.toMatch(/^\{"level"/m);
  }, 120_000);
});
