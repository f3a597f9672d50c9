import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../actors/ledger/index.ts';
import { proveDecision } from '../../actors/patterns/index.ts';
import { runTroupe } from '../support/troupe-cli.ts';

// The four teams of the product page, run as users run them (`troupe up <folder> --once`) on
// the scripted model: their output is asserted, and each run's ledger verifies and proves the
// decision the run printed.
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function up(team: string): Promise<{ out: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `troupe-example-${team}-`));
  dirs.push(dir);
  const env: NodeJS.ProcessEnv = { TROUPE_LEDGER_DIR: dir, TROUPE_MODEL_URL: '' };
  const r = await runTroupe(['up', `examples/${team}`, '--once'], env, 120_000);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const report = await verifyLedger(dir);
  expect(report.ok).toBe(true);
  expect(r.stdout).toMatch(
    /ledger proof: entry \d+ .* hash chain, tree and \d+ checkpoint\(s\) verified/,
  );
  expect(r.stdout).toContain(`troupe ledger verify ${dir}`);
  return { out: r.stdout, dir };
}

describe('example teams', () => {
  it('software team: review loop until approved, deploy after a human approval', async () => {
    const { out, dir } = await up('software-team');
    expect(out).toMatch(/team\/build\s+team\.review\s+round=1 approved=false/);
    expect(out).toMatch(/team\/build\s+team\.review\s+round=2 approved=true/);
    expect(out).toContain('result: build → v2: token bucket with burst refill');
    expect(out).toContain('result: deploy → Released 1.4.0 to production after approval.');
    const p = await proveDecision(dir, (e) => e.kind === 'approval.decided');
    expect(p.event.data).toMatchObject({ action: 'tool deploy', status: 'approved' });
    expect(out).toContain(`ledger proof: entry ${p.index} `);
  }, 150_000);

  it('research pipeline: parallel searchers (quorum), fact check, critic loop', async () => {
    const { out, dir } = await up('research-pipeline');
    expect(out).toMatch(/research\/search\s+team\.gather\s+gather=quorum 2/);
    expect(out).toContain('answer: Yes: supervision confines a crash to its subtree');
    const p = await proveDecision(dir, (e) => e.kind === 'team.review' && e.data.approved === true);
    expect(p.event.data).toMatchObject({ round: 2 });
  }, 150_000);

  it('incident response: logs and metrics in parallel, approved remediation, summary', async () => {
    const { out, dir } = await up('incident-response');
    expect(out).toMatch(/subtask=logs[\s\S]*subtask=metrics[\s\S]*subtask=fix/);
    expect(out).toContain('summary: Resolved: connection-pool leak');
    const p = await proveDecision(dir, (e) => e.kind === 'approval.decided');
    expect(p.event.data).toMatchObject({ action: 'tool restart_service', status: 'approved' });
  }, 150_000);

  it('customer service: routed tickets, the flagged one taken over by a human', async () => {
    const { out, dir } = await up('customer-service');
    expect(out).toMatch(/chosen=billing[\s\S]*chosen=technical[\s\S]*chosen=shipping/);
    expect(out).toContain('"handledBy":"human (support-lead)"');
    expect(out.match(/"handledBy":"agent"/g)).toHaveLength(2);
    const p = await proveDecision(dir, (e) => e.kind === 'approval.decided');
    expect(p.event.data).toMatchObject({ action: 'human takeover', status: 'approved' });
  }, 150_000);

  it('troupe up refuses a folder without index.ts, naming it', async () => {
    const r = await runTroupe(['up', 'examples/shared', '--once']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('examples/shared is a folder without index.ts');
  }, 60_000);
});
