import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AgentLog,
  agentIdentity,
  agentPermissions,
  exitReason,
  planLimits,
  renderNatsConfig,
} from '../../actors/process/index.ts';
import { SecretStore } from '../../actors/secrets/index.ts';
import { ActorSystem, defineSupervisor } from '../../index.ts';
import { subjectMatches } from '../../protocols/subjects/index.ts';
import { Echo } from '../fixtures/process/agents.ts';

const dir = mkdtempSync(join(tmpdir(), 'troupe-pparts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('agent permissions', () => {
  const agents = [
    { path: 'team/a', peers: ['team/c'] },
    { path: 'team/b', peers: [] },
    { path: 'team/c', peers: [] },
    { path: 'team/a/sub', peers: [] },
  ];
  const perms = agentPermissions('s', agents);
  const of = (p: string) => perms.find((x) => x.path === p)!;
  const canPub = (p: string, subject: string) =>
    of(p).publish.some((x) => subjectMatches(x, subject));
  const canSub = (p: string, subject: string) =>
    of(p).subscribe.some((x) => subjectMatches(x, subject)) &&
    !of(p).subscribeDeny.some((x) => subjectMatches(x, subject));

  it('follow the tree: parent, own subtree, declared peers; never a sibling', () => {
    expect(canPub('team/a', 'troupe.s.a.team')).toBe(true);
    expect(canPub('team/a', 'troupe.s.a.team.c')).toBe(true);
    expect(canPub('team/a', 'troupe.s.a.team.b')).toBe(false);
    expect(canPub('team/b', 'troupe.s.a.team.a')).toBe(false);
    expect(canPub('team/a/sub', 'troupe.s.a.team.a')).toBe(true);
    expect(canSub('team/a', 'troupe.s.a.team.a')).toBe(true);
    expect(canSub('team/a', 'troupe.s.a.team.b')).toBe(false);
    // A process agent below a is its own: a may not listen to it.
    expect(canSub('team/a', 'troupe.s.a.team.a.sub')).toBe(false);
    expect(canSub('team/a', 'troupe.s.a.team.a.local')).toBe(true);
  });

  it('reply inboxes: its own to read; those of agents allowed to ask it to write', () => {
    const ia = agentIdentity('s', 'team/a').inboxPrefix;
    const ic = agentIdentity('s', 'team/c').inboxPrefix;
    const ib = agentIdentity('s', 'team/b').inboxPrefix;
    expect(canSub('team/a', `${ia}.n.r`)).toBe(true);
    expect(canSub('team/a', `${ib}.n.r`)).toBe(false);
    expect(canSub('team/a', '_INBOX.n.r')).toBe(false);
    // c is a's peer: c answers a's asks.
    expect(canPub('team/c', `${ia}.n.r`)).toBe(true);
    expect(canPub('team/b', `${ia}.n.r`)).toBe(false);
    expect(canPub('team/a', `${ic}.n.r`)).toBe(false);
    expect(canPub('team/b', '_INBOX.n.r')).toBe(true);
  });

  it('no agent may touch another one’s subjects, for any tree (property)', () => {
    const seg = fc.constantFrom('a', 'b', 'c', 'd');
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.array(seg, { minLength: 1, maxLength: 3 }).map((x) => x.join('/')),
          { minLength: 2, maxLength: 6 },
        ),
        (paths) => {
          const places = paths.map((p) => ({ path: p, peers: [] }));
          const ps = agentPermissions('s', places);
          for (const x of ps) {
            for (const y of places) {
              if (y.path === x.path) continue;
              const subj = `troupe.s.a.${y.path.replaceAll('/', '.')}`;
              const inbox = `${agentIdentity('s', y.path).inboxPrefix}.n.r`;
              const sub = (s: string) =>
                x.subscribe.some((p) => subjectMatches(p, s)) &&
                !x.subscribeDeny.some((p) => subjectMatches(p, s));
              if (sub(subj) || sub(inbox)) return false;
              const related =
                x.path.startsWith(`${y.path}/`) && !x.path.slice(y.path.length + 1).includes('/')
                  ? true
                  : y.path.startsWith(`${x.path}/`);
              if (!related && x.publish.some((p) => subjectMatches(p, subj))) return false;
            }
          }
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('render a config with no 2.10+ keys and no anonymous access', () => {
    const text = renderNatsConfig({ system: 's', agents, masterKey: new Uint8Array(32) });
    expect(text).toContain('TROUPE {');
    expect(text).toContain('system_account: SYS');
    expect(text).not.toMatch(/no_auth_user|pool_size|compression|connect_backoff/);
  });
});

describe('exit reasons', () => {
  it('name the limit that killed the agent', () => {
    expect(exitReason(0, null, '', undefined, false)).toEqual({
      reason: 'normal',
      abnormal: false,
    });
    expect(exitReason(null, 'SIGKILL', '', undefined, false).reason).toBe('killed by SIGKILL');
    expect(
      exitReason(
        null,
        'SIGABRT',
        'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
        { memoryMb: 64 },
        false,
      ).reason,
    ).toMatch(/^memory limit exceeded \(limits.memoryMb=64\): FATAL ERROR/);
    expect(exitReason(null, 'SIGKILL', '', { memoryMb: 64 }, true).reason).toContain('OOM killer');
    expect(exitReason(null, 'SIGXCPU', '', { cpuSeconds: 2 }, false).reason).toBe(
      'cpu time limit exceeded (limits.cpuSeconds=2)',
    );
    expect(exitReason(3, null, 'first\nlast words', undefined, false).reason).toBe(
      'exited with code 3: last words',
    );
  });
});

describe('agent log', () => {
  it('writes pino JSON lines, redacts secrets and rotates by size', () => {
    const file = join(dir, 'logs', 'team.a.log');
    const log = new AgentLog(file, 'team/a', { maxBytes: 2048, keep: 2 });
    log.redact({ KEY: 'hunter2-secret' });
    log.line('stdout', 'plain text with hunter2-secret inside');
    log.line('stderr', JSON.stringify({ level: 40, msg: 'json hunter2-secret' }));
    const first = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(first[0]).toMatchObject({
      agent: 'team/a',
      stream: 'stdout',
      msg: 'plain text with [secret KEY] inside',
    });
    expect(first[1]).toMatchObject({
      level: 40,
      agent: 'team/a',
      stream: 'stderr',
      msg: 'json [secret KEY]',
    });
    for (let i = 0; i < 200; i++) log.line('stdout', `line ${i} hunter2-secret`);
    log.close();
    const files = readdirSync(join(dir, 'logs')).sort();
    expect(files).toEqual(['team.a.log', 'team.a.log.1', 'team.a.log.2']);
    for (const f of files) {
      const t = readFileSync(join(dir, 'logs', f), 'utf8');
      expect(t.length).toBeLessThanOrEqual(2048);
      expect(t).not.toContain('hunter2-secret');
    }
  });
});

describe('limits', () => {
  it('plan prlimit where it exists and say what applied', () => {
    expect(planLimits('x', undefined).via).toBe('none asked');
    const p = planLimits('x', { memoryMb: 128, cpuSeconds: 5, openFiles: 64, processes: 32 });
    expect(p.via).toMatch(/prlimit|cgroup v2|none/);
    if (p.wrapper.length > 0) {
      expect(p.wrapper).toContain(`--data=${128 * 1024 * 1024}`);
      expect(p.wrapper).toContain('--cpu=5');
      expect(p.wrapper).toContain('--nofile=64');
      expect(p.wrapper.at(-1)).toBe('--');
    } else expect(p.unenforced.length + (p.cgroup ? 1 : 0)).toBeGreaterThan(0);
  });
});

describe('process child specs', () => {
  it('are validated when the supervisor is defined', () => {
    const bad = [
      { module: '' },
      { module: 'x.ts', env: { 'BAD-NAME': 'v' } },
      { module: 'x.ts', limits: { memoryMb: 1 } },
      { module: 'x.ts', peers: ['a//b'] },
      { module: 'x.ts', surprise: true },
    ];
    for (const process of bad) {
      expect(() =>
        defineSupervisor({
          type: 'pspec-sup',
          strategy: 'one_for_one',
          children: [{ id: 'a', start: { def: Echo, process: process as never } }],
        }),
      ).toThrow(/start\.process/);
    }
  });

  it('on the embedded transport, fail to start with a clear reason', async () => {
    const sys = await ActorSystem.start({ name: 'pembed', logLevel: 'silent' });
    try {
      const Sup = defineSupervisor({
        type: 'pembed-sup',
        strategy: 'one_for_one',
        intensity: 0,
        children: [{ id: 'a', start: { def: Echo, process: { module: 'x.ts' } } }],
      });
      const events: string[] = [];
      sys.on((e) => {
        if (e.kind === 'gaveUp' || e.kind === 'crashed' || e.kind === 'stopped')
          events.push(`${e.kind} ${'reason' in e ? e.reason : ''}`);
      });
      sys.spawn(Sup, { name: 'sup' });
      await expect(sys.allStarted()).rejects.toThrow(/need the NATS transport/);
    } finally {
      await sys.shutdown();
    }
  });
});

describe('secret store', () => {
  it('keeps values apart per agent and encrypted at rest', async () => {
    const s = new SecretStore(join(dir, 'store'), new Uint8Array(32).fill(1));
    await s.set('a', 'K', 'value-of-a');
    await s.set('b', 'K', 'value-of-b');
    expect(await s.resolve('a', ['K'])).toEqual({ K: 'value-of-a' });
    await expect(s.resolve('a', ['MISSING'])).rejects.toThrow(/no secret MISSING for a/);
    for (const f of readdirSync(join(dir, 'store'))) {
      const t = readFileSync(join(dir, 'store', f), 'utf8');
      expect(t).not.toContain('value-of');
    }
  });
});
