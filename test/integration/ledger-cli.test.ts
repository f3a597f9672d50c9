// `troupe ledger …` as a user runs it: demo (embedded and on NATS), verify, prove, consistency,
// tail; exit codes and one-line errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuditLedger } from '../../actors/ledger/index.ts';
import { verifyInclusion } from '../../protocols/merkle/index.ts';
import { ActorSystem } from '../../runtime/index.ts';
import { b64, Emitter, runTroupe, seededLedgerKeys } from '../support/ledger-run.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { spawnTs, stopChild } from '../support/processes.ts';

const base = mkdtempSync(join(tmpdir(), 'troupe-ledger-cli-'));
let server: NatsServer;
let natsEnv: NodeJS.ProcessEnv;
beforeAll(async () => {
  server = await startNatsServer();
  natsEnv = { TROUPE_NATS_USER: server.user, TROUPE_NATS_PASS: server.pass };
}, 60_000);
afterAll(async () => {
  await stopAllNatsServers();
  rmSync(base, { recursive: true, force: true });
});

describe('troupe ledger', () => {
  const demoDir = join(base, 'demo');

  it('demo writes a ledger through the embedded path and says what to run next; verify, prove, consistency work on it', async () => {
    const demo = await runTroupe(['ledger', 'demo', demoDir, '--events', '2500']);
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('demo: 2500 audit events');
    expect(demo.stdout).toContain('the embedded stream');
    expect(demo.stdout).toMatch(/cosigned by witness\.demo\.demo\/w1/);
    expect(demo.stdout).toContain(`troupe ledger verify ${demoDir}`);
    expect(demo.stdout).toContain(`troupe ledger prove ${demoDir} 0`);

    const v = await runTroupe(['ledger', 'verify', demoDir]);
    expect(v).toMatchObject({ code: 0, stderr: '' });
    expect(v.stdout).toMatch(/^ok: /);

    const p = await runTroupe(['ledger', 'prove', demoDir, '0']);
    expect(p).toMatchObject({ code: 0, stderr: '' });
    expect(p.stdout).toContain('verified against the signed checkpoint');
    expect(p.stdout).toMatch(/\d+ audit events:/);
    // who signed, not kilobytes of ML-DSA signature lines (those come with --full)
    expect(p.stdout).toMatch(/signed by \S+/);
    expect(p.stdout.length).toBeLessThan(2000);
    const full = await runTroupe(['ledger', 'prove', demoDir, '0', '--full']);
    expect(full.stdout.length).toBeGreaterThan(3000);
    const pj = JSON.parse((await runTroupe(['ledger', 'prove', demoDir, '1', '--json'])).stdout);
    verifyInclusion(b64(pj.leafHash), 1, pj.size, pj.proof.map(b64), b64(pj.root));
    expect(pj.entry.events.length).toBeGreaterThan(0);

    const c = await runTroupe(['ledger', 'consistency', demoDir, '1']);
    expect(c).toMatchObject({ code: 0, stderr: '' });
    expect(c.stdout).toContain('consistency of the tree of 1');

    // Again on the same directory: the ledger grows, the first checkpoint stays consistent.
    const again = await runTroupe(['ledger', 'demo', demoDir, '--events', '10', '--json']);
    expect(again.code).toBe(0);
    const j = JSON.parse(again.stdout);
    expect(j.size).toBeGreaterThan(pj.size);
    const c2 = await runTroupe(['ledger', 'consistency', demoDir, String(pj.size)]);
    expect(c2.stdout).toContain(`verified against the log's own checkpoint of size ${pj.size}`);
  }, 120_000);

  it('demo --nats goes through JetStream', async () => {
    const dir = join(base, 'demo-nats');
    const r = await runTroupe(
      ['ledger', 'demo', dir, '--events', '300', '--nats', server.url, '--system', 'clidemo'],
      natsEnv,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`JetStream stream TROUPE_AUDIT_clidemo on ${server.url}`);
    const v = await runTroupe(['ledger', 'verify', dir, '--json']);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, origin: 'troupe/clidemo/demo' });
  }, 120_000);

  it('tail follows a running ledger’s checkpoints', async () => {
    const tail = await spawnTs(
      'bin/troupe.js',
      ['ledger', 'tail', '--nats', server.url, '--system', 'tailed', '--count', '1'],
      {
        env: { ...natsEnv, TROUPE_LOG_LEVEL: 'silent' },
        ready: /following/,
        readyTimeoutMs: 30_000,
      },
    );
    const sys = await ActorSystem.start({
      name: 'tailed',
      logLevel: 'silent',
      transport: server.transport,
    });
    const origin = 'audit.tail.test/ledger';
    const ledger = await startAuditLedger(sys, {
      dir: join(base, 'tailed'),
      origin,
      keys: seededLedgerKeys(origin, 9),
    });
    sys.tell(sys.spawn(Emitter, { name: 'agent' }), 'emit', { n: 3 });
    await ledger.settle({ checkpoint: true });
    const code = await new Promise<number | null>((r) => {
      if (tail.exitCode !== null) r(tail.exitCode);
      else tail.once('exit', (c) => r(c));
    });
    expect(code).toBe(0);
    expect(tail.output()).toMatch(/ledger checkpoint size \d+ root \S+ \(stream cursor \d+\)/);
    await stopChild(tail);
    await ledger.close();
    await sys.shutdown();
  }, 60_000);

  it('says what is wrong in one line, with exit 2 for usage and 1 for the rest', async () => {
    const usage = [
      ['ledger'],
      ['ledger', 'frob'],
      ['ledger', 'prove', demoDir],
      ['ledger', 'verify'],
      ['ledger', 'verify', demoDir, '--bogus'],
    ];
    for (const args of usage) {
      const r = await runTroupe(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(/^troupe: /);
    }
    const failures: Array<[string[], RegExp]> = [
      [
        ['ledger', 'verify', join(base, 'nope')],
        /^troupe: InvalidArgumentError: .* is not a ledger directory/,
      ],
      [
        ['ledger', 'prove', demoDir, 'abc'],
        /^troupe: InvalidArgumentError: index must be a whole number/,
      ],
      [['ledger', 'prove', demoDir, '999999'], /^troupe: LedgerProofError: entry 999999 /],
      [
        ['ledger', 'consistency', demoDir, '0'],
        /^troupe: InvalidArgumentError: old size must be ≥ 1/,
      ],
      [
        ['ledger', 'demo', join(base, 'd0'), '--events', '0'],
        /^troupe: InvalidArgumentError: --events /,
      ],
      [['ledger', 'tail', '--count', 'x'], /^troupe: InvalidArgumentError: --count /],
      [
        ['ledger', 'verify', demoDir, '--witness-vkey', 'bogus'],
        /^troupe: ledger verify .*: witnessed: /,
      ],
    ];
    for (const [args, re] of failures) {
      const r = await runTroupe(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
  }, 120_000);
});
