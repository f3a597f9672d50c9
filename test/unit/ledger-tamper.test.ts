// The tamper and fault cases the ledger must detect or survive (docs/ledger-security.md), one
// test per case. Crash safety (kill -9 at every step) is in ledger-crash.test.ts.
import { cpSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createIngester,
  createWitness,
  type IngestAlert,
  type Ledger,
  type SignedCheckpoint,
  type StreamRecord,
  verifyLedger,
  WitnessForkError,
  WitnessRollbackError,
} from '../../actors/ledger/index.ts';
import {
  NoteUnverifiedError,
  openNote,
  parseCheckpoint,
  verifierFromVkey,
} from '../../protocols/checkpoint/index.ts';
import { decodeLeaf, encodeLeaf, LeafFormatError } from '../../protocols/ledger/index.ts';
import { hashLeaf, MerkleProofError, verifyInclusion } from '../../protocols/merkle/index.ts';
import {
  leafRecord,
  readRecords,
  rechain,
  resealState,
  writeRecords,
} from '../support/ledger-attacker.ts';
import {
  event,
  ORIGIN,
  openTestLedger,
  STREAM,
  sealAndVerify,
  testKeys,
  useTmpDirs,
} from '../support/ledger-fixtures.ts';

const newDir = useTmpDirs('troupe-tamper-');

const trusted = testKeys().vkeys;
/** Fixed salts, so two ledgers given the same events hold byte-identical entries. */
const salted = (seq: number, payload?: string) =>
  event(seq, {
    salt: new Uint8Array(32).fill(seq),
    ...(payload ? { payload: Buffer.from(payload) } : {}),
  });

async function ledgerWith(
  n: number,
  dir = newDir(),
): Promise<{ dir: string; ledger: Ledger; cp: SignedCheckpoint }> {
  const ledger = await openTestLedger(dir);
  await ledger.appendBatch(Array.from({ length: n }, (_, i) => salted(i + 1)));
  return { dir, ledger, cp: await ledger.checkpoint() };
}

function newWitness() {
  return createWitness({
    dir: newDir(),
    name: 'witness.test.internal/w1',
    logs: [{ origin: ORIGIN, vkeys: trusted }],
    seeds: { ed25519: new Uint8Array(32).fill(1), mldsa44: new Uint8Array(32).fill(2) },
  });
}

/** verifyLedger with the trusted keys fails, naming the file (and the entry and why, when given). */
async function expectCaught(dir: string, file: string, index?: number, reason?: RegExp) {
  expect(await verifyLedger(dir, { vkeys: trusted })).toMatchObject({
    ok: false,
    file,
    ...(index === undefined ? {} : { index }),
    ...(reason ? { reason: expect.stringMatching(reason) } : {}),
  });
}

describe('tamper suite', () => {
  it('an edited entry: the chain breaks, and resealed it no longer matches the signed root', async () => {
    const { dir, ledger, cp } = await ledgerWith(10);
    const proof = ledger.proveInclusion(4);
    await ledger.close();
    const path = join(dir, 'leaves.log');
    const leaves = readRecords(path);
    const edited = encodeLeaf({
      ...decodeLeaf(leaves[4]!.body),
      subject: 'troupe.test.audit.node1.innocent',
    });
    writeRecords(
      path,
      leaves.map((l, i) => (i === 4 ? leafRecord(edited) : l)),
    );
    resealState(dir);
    await expectCaught(dir, 'leaves.log', 5, /prev_leaf_hash/);
    // Re-chained too: every unsigned file agrees; the signed root does not.
    writeRecords(path, rechain(leaves.map((l, i) => (i === 4 ? leafRecord(edited) : l))));
    resealState(dir);
    await expectCaught(dir, 'checkpoints.log', undefined, /root/);
    // The edited entry's old proof does not verify its new bytes against the signed root.
    expect(() => verifyInclusion(hashLeaf(edited), 4, 10, proof.proof, cp.root)).toThrow(
      MerkleProofError,
    );
  });

  it('an edited payload does not open its commitment', async () => {
    const { dir, ledger } = await ledgerWith(10);
    await ledger.close();
    const path = join(dir, 'payloads.log');
    const payloads = readRecords(path);
    const p = Buffer.from(payloads[6]!.body);
    p[p.length - 2]! ^= 0x20;
    writeRecords(
      path,
      payloads.map((x, i) => (i === 6 ? { ...x, body: p } : x)),
    );
    await expectCaught(dir, 'payloads.log', 6, /commitment/);
  });

  it('a deleted middle entry: a stream sequence goes missing and the signed root moves', async () => {
    const { dir, ledger } = await ledgerWith(10);
    await ledger.close();
    for (const file of ['leaves.log', 'payloads.log']) {
      const path = join(dir, file);
      const records = readRecords(path).filter((_, i) => i !== 5);
      writeRecords(path, file === 'leaves.log' ? rechain(records) : records);
    }
    resealState(dir);
    await expectCaught(dir, 'leaves.log', 5, /jumps from 5 to 7/);
  });

  it('reordered entries: the chain breaks; re-chained, the stream order does', async () => {
    const { dir, ledger } = await ledgerWith(10);
    await ledger.close();
    const swap = <T>(xs: T[]) => xs.map((x, i) => (i === 3 ? xs[4]! : i === 4 ? xs[3]! : x));
    const leaves = swap(readRecords(join(dir, 'leaves.log')));
    writeRecords(join(dir, 'leaves.log'), leaves);
    writeRecords(join(dir, 'payloads.log'), swap(readRecords(join(dir, 'payloads.log'))));
    resealState(dir);
    await expectCaught(dir, 'leaves.log', 3);
    writeRecords(join(dir, 'leaves.log'), rechain(leaves));
    resealState(dir);
    await expectCaught(dir, 'leaves.log', 3, /jumps/);
  });

  it('a tail truncated and regrown to the same size, even re-signed, is caught by the witness', async () => {
    const witness = newWitness();
    const { dir, ledger, cp } = await ledgerWith(10);
    const cosigned = await witness.addCheckpoint({ oldSize: 0n, proof: [], checkpoint: cp.note });
    await ledger.close();
    // A compromised host with the keys: cut to 6 entries, drop the history, regrow, re-sign.
    const cut = (file: string, keep: number) => {
      const records = readRecords(join(dir, file)).slice(0, keep);
      writeRecords(join(dir, file), records);
    };
    cut('leaves.log', 6);
    cut('payloads.log', 6);
    truncateSync(join(dir, 'checkpoints.log'), 0);
    rmSync(join(dir, 'checkpoint'));
    resealState(dir);
    const regrown = await openTestLedger(dir);
    await regrown.appendBatch([7, 8, 9, 10].map((s) => salted(s, `rewritten ${s}`)));
    const forged = await regrown.checkpoint();
    expect(forged.size).toBe(10);
    expect(Buffer.from(forged.root).equals(Buffer.from(cp.root))).toBe(false);
    await expect(
      witness.addCheckpoint({ oldSize: 10n, proof: [], checkpoint: forged.note }),
    ).rejects.toThrow(WitnessForkError);
    await regrown.close();
    // The ledger's own files are consistent; the checkpoint the verifier saw is not in them.
    expect(await verifyLedger(dir, { vkeys: trusted })).toMatchObject({ ok: true });
    expect(
      await verifyLedger(dir, { vkeys: trusted, knownCheckpoint: cosigned.note }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/forked/),
    });
  });

  it('a fork shown to two verifiers: the witness cosigns one side only', async () => {
    const witness = newWitness();
    const a = await ledgerWith(6);
    const b = await openTestLedger(newDir());
    await b.appendBatch([1, 2, 3].map((s) => salted(s)));
    await b.appendBatch([4, 5, 6].map((s) => salted(s, `other history ${s}`)));
    const bcp = await b.checkpoint();
    const seenByOne = await witness.addCheckpoint({
      oldSize: 0n,
      proof: [],
      checkpoint: a.cp.note,
    });
    await expect(
      witness.addCheckpoint({ oldSize: 6n, proof: [], checkpoint: bcp.note }),
    ).rejects.toThrow(WitnessForkError);
    // Both sides carry valid log signatures for size 6 with different roots: evidence of a fork.
    const log = trusted.map((v) => verifierFromVkey(v));
    const one = parseCheckpoint(openNote(seenByOne.note, log, { requireAll: true }).text);
    const two = parseCheckpoint(openNote(bcp.note, log, { requireAll: true }).text);
    expect(one.size).toBe(two.size);
    expect(Buffer.from(one.root).equals(Buffer.from(two.root))).toBe(false);
    // A verifier whose policy needs the witness rejects the side the witness refused.
    const policy = [...log, ...witness.vkeys.map((v) => verifierFromVkey(v))];
    expect(openNote(seenByOne.note, policy, { requireAll: true }).verified).toHaveLength(4);
    expect(() => openNote(bcp.note, policy, { requireAll: true })).toThrow(NoteUnverifiedError);
    await a.ledger.close();
    await b.close();
  });

  it('a rollback to an old copy of the directory: the witness and a verifier with history refuse it', async () => {
    const witness = newWitness();
    const { dir, ledger, cp } = await ledgerWith(5);
    await witness.addCheckpoint({ oldSize: 0n, proof: [], checkpoint: cp.note });
    const backup = newDir();
    await ledger.close();
    cpSync(dir, backup, { recursive: true });
    const live = await openTestLedger(dir);
    await live.appendBatch([6, 7, 8, 9, 10].map((s) => salted(s)));
    const cp2 = await live.checkpoint();
    const proof = live.proveConsistency(5).proof;
    const later = await witness.addCheckpoint({ oldSize: 5n, proof, checkpoint: cp2.note });
    await live.close();
    // Restore the old copy: its newest checkpoint is the old one.
    rmSync(dir, { recursive: true });
    cpSync(backup, dir, { recursive: true });
    const rolled = await openTestLedger(dir);
    expect(rolled.latestCheckpoint()?.size).toBe(5);
    await expect(
      witness.addCheckpoint({
        oldSize: 10n,
        proof: [],
        checkpoint: rolled.latestCheckpoint()!.note,
      }),
    ).rejects.toThrow(WitnessRollbackError);
    expect(await verifyLedger(dir, { vkeys: trusted, knownCheckpoint: later.note })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/rolled back/),
    });
    // Regrowing the old copy to the same size gives another tree: a fork, refused too.
    await rolled.appendBatch([6, 7, 8, 9, 10].map((s) => salted(s, `replayed ${s}`)));
    const again = await rolled.checkpoint();
    await expect(
      witness.addCheckpoint({ oldSize: 10n, proof: [], checkpoint: again.note }),
    ).rejects.toThrow(WitnessForkError);
    await rolled.close();
  });

  it('duplicate delivery: dropped when equal, a fork alarm when not', async () => {
    const ledger = await openTestLedger(newDir());
    const ingest = createIngester(ledger, { stream: STREAM });
    const r = (seq: number, payload = `p${seq}`): StreamRecord => ({
      seq: BigInt(seq),
      subject: 'troupe.test.audit.n.a',
      msgId: `m${seq}`,
      payload: Buffer.from(payload),
      timestampNs: BigInt(seq),
    });
    await ingest.offer([r(1), r(2), r(3)]);
    expect((await ingest.offer([r(2), r(3)])).outcomes.map((o) => o.kind)).toEqual([
      'duplicate',
      'duplicate',
    ]);
    expect(ledger.size).toBe(3);
    const forked = await ingest.offer([r(2, 'rewritten')]);
    expect(forked.fork?.seq).toBe(2n);
    expect(ledger.size).toBe(3);
    await ledger.close();
  });

  it('a publisher retry outside the duplicate window: both logged, the second flagged', async () => {
    const ledger = await openTestLedger(newDir());
    const alerts: IngestAlert[] = [];
    const ingest = createIngester(ledger, { stream: STREAM, onAlert: (a) => alerts.push(a) });
    const r = (seq: number): StreamRecord => ({
      seq: BigInt(seq),
      subject: 'troupe.test.audit.n.a',
      msgId: 'action-7f3a',
      payload: Buffer.from('{"tool":"deploy"}'),
      timestampNs: BigInt(seq) * 1_000_000_000n,
    });
    await ingest.offer([r(1)]);
    const res = await ingest.offer([r(2)]);
    expect(res.outcomes).toEqual([{ kind: 'appended', seq: 2n, index: 1, dupOf: 0 }]);
    expect(alerts).toEqual([{ kind: 'retry', seq: 2n, msgId: 'action-7f3a', index: 1, dupOf: 0 }]);
    expect(ledger.size).toBe(2);
    await ledger.close();
  });

  it('a stream gap: one GAP entry, an alert, and nothing skipped silently', async () => {
    const dir = newDir();
    const ledger = await openTestLedger(dir);
    const alerts: IngestAlert[] = [];
    const ingest = createIngester(ledger, { stream: STREAM, onAlert: (a) => alerts.push(a) });
    const r = (seq: number): StreamRecord => ({
      seq: BigInt(seq),
      subject: 'troupe.test.audit.n.a',
      msgId: `m${seq}`,
      payload: Buffer.from('x'),
      timestampNs: BigInt(seq),
    });
    await ingest.offer([r(1), r(2), r(7)]);
    expect(alerts).toEqual([{ kind: 'gap', first: 3n, last: 6n, index: 2 }]);
    expect(ledger.entry(2).leaf).toMatchObject({ type: 'gap', streamSeq: 3n, aux: 6n });
    // The store itself refuses a silent skip, whoever writes.
    await expect(ledger.appendBatch([event(9)])).rejects.toThrow(/jumps/);
    expect(await sealAndVerify(ledger, dir)).toMatchObject({
      ok: true,
      size: 4,
      lastStreamSeq: 7n,
    });
  });

  it('an internal node presented as a leaf is refused', async () => {
    const { ledger, cp } = await ledgerWith(8);
    const p0 = ledger.proveInclusion(0);
    const node = Buffer.concat([ledger.entry(0).leafHash, ledger.entry(1).leafHash]);
    // As a leaf hash: the level-1 node with the rest of leaf 0's path.
    const internal = (await import('../../protocols/merkle/index.ts')).hashChildren(
      ledger.entry(0).leafHash,
      ledger.entry(1).leafHash,
    );
    expect(() => verifyInclusion(internal, 0, 8, p0.proof.slice(1), cp.root)).toThrow(
      MerkleProofError,
    );
    // As leaf bytes: hashed with the leaf prefix it is something else, and it is no leaf at all.
    expect(() => verifyInclusion(hashLeaf(node), 0, 8, p0.proof.slice(1), cp.root)).toThrow(
      MerkleProofError,
    );
    expect(() => decodeLeaf(node)).toThrow(LeafFormatError);
    await ledger.close();
  });

  it('a proof for the wrong tree size does not verify against the signed checkpoint', async () => {
    const { ledger, cp } = await ledgerWith(10);
    const small = ledger.proveInclusion(3, 6);
    expect(() => verifyInclusion(small.leafHash, 3, 10, small.proof, cp.root)).toThrow(
      MerkleProofError,
    );
    expect(() => verifyInclusion(small.leafHash, 3, 6, small.proof, cp.root)).toThrow(
      MerkleProofError,
    );
    // The size a verifier uses is the one the checkpoint signed, so the right proof is the
    // one made for that size.
    const right = ledger.proveInclusion(3);
    expect(right.size).toBe(Number(parseCheckpoint(cp.note.split('\n\n')[0]! + '\n').size));
    verifyInclusion(right.leafHash, 3, right.size, right.proof, cp.root);
    await ledger.close();
  });
});
