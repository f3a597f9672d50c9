// kill -9 of a process appending to the ledger, at every durability step of an append (and of a
// checkpoint and an erase). After each crash the ledger reopens with the signed root intact,
// either all or none of the batch, and a redelivery of the batch leaves no duplicate and no gap.
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPEND_STEPS,
  createIngester,
  type LedgerStep,
  verifyLedger,
} from '../../actors/ledger/index.ts';
import { verifyConsistency } from '../../protocols/merkle/index.ts';
import {
  crashRecords,
  event,
  openTestLedger,
  STREAM,
  sealAndVerify,
  testKeys,
  tmpDir,
} from '../support/ledger-fixtures.ts';

const CHILD = fileURLToPath(new URL('../support/ledger-crash-child.ts', import.meta.url));
const trusted = testKeys().vkeys;
const base = tmpDir('troupe-crash-base-');
const cleanups: Array<() => void> = [base.cleanup];
let signedRoot: Uint8Array;

beforeAll(async () => {
  const ledger = await openTestLedger(base.dir);
  await ledger.appendBatch(Array.from({ length: 10 }, (_, i) => event(i + 1)));
  signedRoot = (await ledger.checkpoint()).root;
  await ledger.close();
}, 60_000);
afterAll(() => {
  for (const c of cleanups) c();
});

function crash(op: string, step: LedgerStep): { dir: string; killed: boolean; stdout: string } {
  const t = tmpDir('troupe-crash-');
  cleanups.push(t.cleanup);
  cpSync(base.dir, t.dir, { recursive: true });
  const res = spawnSync(process.execPath, ['--import', 'tsx', CHILD, t.dir, op], {
    env: {
      ...process.env,
      TROUPE_LEDGER_CRASH_AT: step,
      TROUPE_LEDGER_NOW: String(Date.now() + 3_600_000),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.error) throw res.error;
  return { dir: t.dir, killed: res.signal === 'SIGKILL', stdout: res.stdout + res.stderr };
}

/** Steps after which the batch is durable: the state record names it. */
const committedFrom = APPEND_STEPS.indexOf('append:state-renamed');

describe('kill -9 during an append', () => {
  it.each(APPEND_STEPS.map((s, i) => [s, i] as const))(
    'at %s',
    async (step, i) => {
      const { dir, killed, stdout } = crash('append', step);
      expect(killed, stdout).toBe(true);
      if (i < committedFrom) {
        // The crash left bytes past the commit point (a torn record at the first step).
        expect(await verifyLedger(dir, { vkeys: trusted })).toMatchObject({
          ok: false,
          file: 'leaves.log',
          reason: expect.stringMatching(/uncommitted/),
        });
      }
      const ledger = await openTestLedger(dir); // recovery: truncate, rescan, prove the signed root
      expect(ledger.size).toBe(i >= committedFrom ? 15 : 10);
      expect(ledger.latestCheckpoint()?.size).toBe(10);
      const proof = ledger.proveConsistency(10, ledger.size);
      verifyConsistency(10, ledger.size, proof.proof, signedRoot, ledger.root);
      // The stream redelivers what was not acked: nothing twice, nothing missing.
      const out = await createIngester(ledger, { stream: STREAM }).offer(crashRecords());
      expect(out.outcomes.map((o) => o.kind)).toEqual(
        Array(5).fill(i >= committedFrom ? 'duplicate' : 'appended'),
      );
      expect(ledger.size).toBe(15);
      for (let s = 1n; s <= 15n; s++) expect(ledger.findStreamSeq(s).kind).toBe('event');
      expect(await sealAndVerify(ledger, dir)).toMatchObject({
        ok: true,
        size: 15,
        lastStreamSeq: 15n,
        cachesRebuilt: false,
      });
    },
    60_000,
  );

  it('without a crash the child completes (the harness itself works)', () => {
    const { killed, stdout } = crash('append', 'erase:done');
    expect(killed).toBe(false);
    expect(stdout).toContain('completed');
  }, 60_000);
});

describe('kill -9 during a checkpoint and an erase', () => {
  it.each([
    ['checkpoint:record-written', 10],
    ['checkpoint:state-renamed', 15],
    ['checkpoint:latest-written', 15],
  ] as const)(
    'at %s the signed size is %i',
    async (step, signed) => {
      const { dir, killed } = crash('checkpoint', step);
      expect(killed).toBe(true);
      const ledger = await openTestLedger(dir);
      expect(ledger.size).toBe(15);
      expect(ledger.latestCheckpoint()?.size).toBe(signed);
      await ledger.close();
      expect(await verifyLedger(dir, { vkeys: trusted })).toMatchObject({
        ok: true,
        signedSize: signed,
        cachesRebuilt: false, // open already brought the derived files up to date
      });
    },
    60_000,
  );

  it.each(['erase:intent-written', 'erase:zeroed'] as const)(
    'at %s the erase completes on open',
    async (step) => {
      const { dir, killed } = crash('erase', step);
      expect(killed).toBe(true);
      expect(await verifyLedger(dir, { vkeys: trusted })).toMatchObject({
        ok: false,
        file: 'erase.pending',
      });
      const ledger = await openTestLedger(dir);
      expect(ledger.entry(2).payload).toEqual({ status: 'erased' });
      await ledger.close();
      expect(await verifyLedger(dir, { vkeys: trusted })).toMatchObject({ ok: true, erased: 1 });
    },
    60_000,
  );
});
