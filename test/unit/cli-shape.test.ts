// What keeps the CLI fast and the README honest, checked without running anything.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../deploy/command-table.ts';
import { defineActor } from '../../index.ts';
import { ActorSystem } from '../../runtime/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** The module specifiers a file imports statically (type-only imports excluded). */
function staticImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/^import (?!type )[^;]*?from '([^']+)';/gms)].map((m) => m[1]!);
}

describe('the CLI entry point', () => {
  it('loads only node built-ins and the command table before a command runs', () => {
    for (const s of staticImports('deploy/cli.ts'))
      expect(s === './command-table.ts' || s.startsWith('node:'), s).toBe(true);
    expect(staticImports('deploy/command-table.ts')).toEqual([]);
  });

  it('has one table entry per command, each loading its module lazily', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of COMMANDS) {
      expect(c.summary.length).toBeGreaterThan(0);
      expect(c.load.toString()).toMatch(/import\(|dynamic_import/);
    }
  });
});

describe('the README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const shell = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1]!.split('\n').map((l) => l.replace(/^\$ /, '').trim()),
  );

  it('runs the CLI with npx (a bare `troupe` is not on PATH) and only real commands', () => {
    expect(shell.filter((l) => /^troupe /.test(l))).toEqual([]);
    const calls = shell.filter((l) => l.startsWith('npx troupe '));
    expect(calls.length).toBeGreaterThan(10);
    for (const line of calls) {
      const [a, b] = line.slice('npx troupe '.length).split(/\s+/);
      const known = COMMANDS.some((c) => c.name === a || c.name === `${a} ${b}`);
      expect(known || a === '--help', line).toBe(true);
    }
  });

  it('starts nats-server with JetStream, and names the system for mesh and room commands', () => {
    const servers = shell.filter((l) => l.startsWith('nats-server'));
    expect(servers.length).toBeGreaterThan(0);
    for (const l of servers) expect(l).toMatch(/ -js\b/);
    for (const l of shell.filter((x) => /^npx troupe (mesh (up|invite|join|peers)|room) /.test(x)))
      expect(l, l).toMatch(/--system \w+/);
  });
});

describe('troupe tree uptime', () => {
  it('counts from the spawn, not from the first inspection', async () => {
    const sys = await ActorSystem.start({ name: 'uptime', logLevel: 'silent' });
    try {
      const A = defineActor({ type: 'a', state: () => ({}), tells: {}, asks: {}, handle: {} });
      sys.spawn(A, { name: 'a' });
      await new Promise((r) => setTimeout(r, 60));
      const row = sys.treeRows().find((r) => r.path === 'a');
      expect(row?.uptimeMs).toBeGreaterThanOrEqual(50);
    } finally {
      await sys.shutdown();
    }
  });
});
