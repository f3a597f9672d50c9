import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointTooSoonError,
  LedgerAppendError,
  LedgerCorruptError,
  LedgerKeyError,
  LedgerLockedError,
  LedgerProofError,
  ledgerVerifiers,
  openLedger,
  openLedgerReader,
  proveConsistency,
  proveInclusion,
  verifyLedger,
} from '../../actors/ledger/store/index.ts';
import { openNote, parseCheckpoint } from '../../protocols/checkpoint/index.ts';
import { commitPayload, decodeLeaf } from '../../protocols/ledger/index.ts';
import { hashLeaf, verifyConsistency, verifyInclusion } from '../../protocols/merkle/index.ts';
import {
  event,
  ORIGIN,
  openTestLedger,
  STREAM,
  testKeys,
  useTmpDirs,
} from '../support/ledger-fixtures.ts';

const dir = useTmpDirs();

describe('ledger store', () => {
  it('appends, chains, checkpoints and proves', async () => {
    const d = dir();
    const ledger = await openTestLedger(d);
    const r = await ledger.appendBatch([event(1), event(2), event(3)]);
    expect(r).toMatchObject({ firstIndex: 0, count: 3, size: 3 });
    const e1 = ledger.entry(1);
    expect(e1.leaf.streamSeq).toBe(2n);
    expect(Buffer.from(e1.leaf.prevLeafHash).equals(Buffer.from(ledger.entry(0).leafHash))).toBe(
      true,
    );
    expect(e1.payload.status).toBe('present');
    if (e1.payload.status === 'present') {
      expect(Buffer.from(commitPayload(e1.payload.salt, e1.payload.payload))).toEqual(
        Buffer.from(e1.leaf.payloadCommit),
      );
    }
    const cp = await ledger.checkpoint();
    expect(cp.size).toBe(3);
    const opened = openNote(cp.note, ledgerVerifiers(ORIGIN, ledger.vkeys), { requireAll: true });
    expect(parseCheckpoint(opened.text).size).toBe(3n);
    for (let i = 0; i < 3; i++) {
      const p = ledger.proveInclusion(i);
      verifyInclusion(p.leafHash, i, 3, p.proof, cp.root);
      expect(Buffer.from(p.leafHash)).toEqual(Buffer.from(hashLeaf(ledger.entry(i).leafBytes)));
    }
    await ledger.appendBatch([event(4), event(5)]);
    const cp2 = await ledger.checkpoint();
    const c = ledger.proveConsistency(3);
    verifyConsistency(3, 5, c.proof, cp.root, cp2.root);
    expect(c.checkpoint).toBe(cp2.note);
    await ledger.close();
    // The read-only path gives the same proofs.
    const inc = proveInclusion(d, 4);
    verifyInclusion(inc.leafHash, 4, 5, inc.proof, cp2.root);
    expect(() => proveInclusion(join(d, 'nope'), 0)).toThrow(LedgerProofError);
    expect(() => proveInclusion(d, 5)).toThrow(LedgerProofError);
    const con = proveConsistency(d, 3);
    verifyConsistency(3, 5, con.proof, cp.root, cp2.root);
    expect(await verifyLedger(d)).toMatchObject({
      ok: true,
      size: 5,
      signedSize: 5,
      checkpoints: 2,
    });
  });

  it('group commit: concurrent appends share one write and resolve in order', async () => {
    const ledger = await openTestLedger(dir());
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => ledger.appendBatch([event(i + 1)])),
    );
    expect(results.map((r) => r.firstIndex)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(ledger.size).toBe(50);
    expect(ledger.lastStreamSeq).toBe(50n);
    await ledger.close();
  });

  it('refuses a stream sequence that skips, repeats or leaves a gap unrecorded', async () => {
    const ledger = await openTestLedger(dir());
    await ledger.appendBatch([event(1)]);
    await expect(ledger.appendBatch([event(3)])).rejects.toThrow(LedgerAppendError);
    await expect(ledger.appendBatch([event(1)])).rejects.toThrow(LedgerAppendError);
    // A refused request in a group does not stop the others.
    const [bad, good] = await Promise.allSettled([
      ledger.appendBatch([event(2), event(2)]),
      ledger.appendBatch([
        event(2),
        { type: 'gap', first: 3n, last: 5n, stream: STREAM },
        event(6),
      ]),
    ]);
    expect(bad.status).toBe('rejected');
    expect(good.status).toBe('fulfilled');
    expect(ledger.lastStreamSeq).toBe(6n);
    expect(ledger.findStreamSeq(4n)).toEqual({ kind: 'gap', index: 2, first: 3n, last: 5n });
    // A late message inside a gap may be recorded once.
    await ledger.appendBatch([event(4)]);
    expect(ledger.findStreamSeq(4n)).toEqual({ kind: 'event', index: 4 });
    await expect(ledger.appendBatch([event(4)])).rejects.toThrow(LedgerAppendError);
    expect(ledger.findStreamSeq(9n)).toEqual({ kind: 'none' });
    await ledger.close();
  });

  it('checkpoints at most once a second while the log grows', async () => {
    let t = 1_000_000;
    const now = () => t;
    const ledger = await openTestLedger(dir(), { now });
    await ledger.appendBatch([event(1)]);
    const a = await ledger.checkpoint();
    expect(await ledger.checkpoint()).toBe(a); // not grown: the same checkpoint
    await ledger.appendBatch([event(2)]);
    t += 400;
    const err = await ledger.checkpoint().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointTooSoonError);
    expect((err as CheckpointTooSoonError).retryAfterMs).toBe(600);
    expect(ledger.nextCheckpointAt()).toBe(1_001_000);
    t += 600;
    expect((await ledger.checkpoint()).size).toBe(2);
    await ledger.close();
  });

  it('erases a payload without breaking the leaf, the root or any proof', async () => {
    const d = dir();
    const ledger = await openTestLedger(d);
    await ledger.appendBatch([event(1), event(2), event(3)]);
    const cp = await ledger.checkpoint();
    const before = ledger.entry(1);
    await ledger.erasePayload(1);
    expect(ledger.entry(1).payload).toEqual({ status: 'erased' });
    expect(Buffer.from(ledger.entry(1).leafBytes)).toEqual(Buffer.from(before.leafBytes));
    const p = ledger.proveInclusion(1);
    verifyInclusion(before.leafHash, 1, 3, p.proof, cp.root);
    await ledger.close();
    const payloads = readFileSync(join(d, 'payloads.log'));
    if (before.payload.status !== 'present') throw new Error('unreachable');
    expect(payloads.includes(Buffer.from(before.payload.payload))).toBe(false);
    expect(payloads.includes(Buffer.from(before.payload.salt))).toBe(false);
    expect(await verifyLedger(d)).toMatchObject({ ok: true, erased: 1 });
  });

  it('reopens with the same state, cursor and lookups', async () => {
    const d = dir();
    const a = await openTestLedger(d);
    await a.appendBatch([
      event(1),
      { type: 'gap', first: 2n, last: 4n, stream: STREAM },
      event(5),
      { type: 'control', topic: 'config', kind: 1n, stream: STREAM, payload: Buffer.from('{}') },
      event(3),
    ]);
    await a.checkpoint();
    const root = Buffer.from(a.root);
    await a.close();
    const b = await openTestLedger(d);
    expect(b.size).toBe(5);
    expect(Buffer.from(b.root)).toEqual(root);
    expect(b.lastStreamSeq).toBe(5n);
    expect(b.findStreamSeq(3n)).toEqual({ kind: 'event', index: 4 });
    expect(b.findStreamSeq(2n)).toMatchObject({ kind: 'gap', index: 1 });
    expect(b.entry(3).leaf).toMatchObject({ type: 'control', streamSeq: 5n, subject: 'config' });
    expect([...b.leaves(3)].map((x) => x.index)).toEqual([3, 4]);
    expect(b.latestCheckpoint()?.size).toBe(5);
    await b.close();
  });

  /** A one-entry, checkpointed ledger whose keys were generated into key files beside it. */
  async function ledgerWithKeyFiles(): Promise<{ d: string; keysDir: string }> {
    const d = dir();
    const keysDir = join(d, '..', 'keys');
    const ledger = await openLedger(d, { origin: ORIGIN, keysDir, workers: 1 });
    await ledger.appendBatch([event(1)]);
    await ledger.checkpoint();
    await ledger.close();
    return { d, keysDir };
  }

  it('generates key files with mode 0600 on first use and refuses loose ones', async () => {
    const { d, keysDir } = await ledgerWithKeyFiles();
    for (const f of ['log-ed25519.skey', 'log-mldsa44.skey']) {
      expect(statSync(join(keysDir, f)).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(keysDir, f), 'utf8')).toMatch(/^PRIVATE\+KEY\+/);
    }
    expect(existsSync(join(d, 'keys'))).toBe(false);
    const again = await openLedger(d, { origin: ORIGIN, keysDir, workers: 1 });
    expect(again.size).toBe(1);
    await again.close();
    // Someone else's keys are not this ledger's keys.
    await expect(openTestLedger(d)).rejects.toThrow(LedgerKeyError);
    const skey = join(keysDir, 'log-ed25519.skey');
    const { chmodSync } = await import('node:fs');
    chmodSync(skey, 0o644);
    await expect(openLedger(d, { origin: ORIGIN, keysDir, workers: 1 })).rejects.toThrow(
      LedgerKeyError,
    );
  });

  it('a flipped secret-key byte is caught when the ledger opens', async () => {
    const { d, keysDir } = await ledgerWithKeyFiles();
    const skey = join(keysDir, 'log-mldsa44.skey');
    const original = readFileSync(skey);
    for (let i = 0; i < original.length; i += 7) {
      const bad = Buffer.from(original);
      bad[i]! ^= 0x04;
      writeFileSync(skey, bad, { mode: 0o600 });
      await expect(openLedger(d, { origin: ORIGIN, keysDir, workers: 1 })).rejects.toThrow();
    }
    writeFileSync(skey, original, { mode: 0o600 });
    await (await openLedger(d, { origin: ORIGIN, keysDir, workers: 1 })).close();
  });

  it('refuses another origin and keys for another origin', async () => {
    const d = dir();
    await (await openTestLedger(d)).close();
    await expect(
      openLedger(d, { origin: 'other.example/log', workers: 1, keys: testKeys() }),
    ).rejects.toThrow();
    await expect(openLedger(d, { origin: 'bad origin', keys: testKeys() })).rejects.toThrow(
      RangeError,
    );
  });

  it('hashes on worker threads and in-process alike', async () => {
    const d = dir();
    const ledger = await openTestLedger(d);
    const entries = Array.from({ length: 300 }, (_, i) => event(i + 1));
    await ledger.appendBatch(entries);
    await ledger.checkpoint();
    await ledger.close();
    const serial = await verifyLedger(d, { workers: 1, windowLevel: 4 });
    const threaded = await verifyLedger(d, { workers: 3, windowLevel: 4 });
    expect(serial).toMatchObject({ ok: true, size: 300 });
    expect(threaded).toEqual(serial);
    const reopened = await openTestLedger(d, { workers: 2, windowLevel: 3 });
    expect(reopened.size).toBe(300);
    const reader = openLedgerReader(d);
    const p = reader.proveInclusion(257);
    verifyInclusion(p.leafHash, 257, 300, p.proof, reader.checkpoint!.root);
    reader.close();
    expect(decodeLeaf(reopened.entry(257).leafBytes).streamSeq).toBe(258n);
    await reopened.close();
  });

  it('a damaged tree cache yields an error, never a bad proof, and is rebuilt from the log', async () => {
    const d = dir();
    const ledger = await openTestLedger(d);
    await ledger.appendBatch(Array.from({ length: 9 }, (_, i) => event(i + 1)));
    await ledger.checkpoint();
    const level0 = join(d, 'cache', 'level-00.bin');
    const good = readFileSync(level0);
    const bad = Buffer.from(good);
    bad[32 * 4]! ^= 1;
    writeFileSync(level0, bad);
    expect(() => ledger.proveInclusion(4)).toThrow(LedgerCorruptError);
    await ledger.repairCache();
    await ledger.appendBatch([event(10)]);
    const cp = await ledger.checkpoint();
    const p = ledger.proveInclusion(4);
    verifyInclusion(p.leafHash, 4, 10, p.proof, cp.root);
    // verifyLedger next to an open ledger leaves a correct cache in place.
    expect(await verifyLedger(d)).toMatchObject({ ok: true, cachesRebuilt: false });
    await ledger.appendBatch([event(11)]);
    verifyInclusion(
      ledger.proveInclusion(10, 11).leafHash,
      10,
      11,
      ledger.proveInclusion(10, 11).proof,
      ledger.root,
    );
    await ledger.close();
  });

  it('one writer per directory: a second open is refused, a dead writer lock is taken over', async () => {
    const d = dir();
    const a = await openTestLedger(d);
    await expect(openTestLedger(d)).rejects.toThrow(LedgerLockedError);
    await a.close();
    const b = await openTestLedger(d);
    await b.close();
    // A lock left by a process that is gone (kill -9) does not block recovery.
    writeFileSync(join(d, 'LOCK'), '2147483646\n');
    const c = await openTestLedger(d);
    expect(readFileSync(join(d, 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);
    await c.close();
    expect(existsSync(join(d, 'LOCK'))).toBe(false);
  });

  it('verify beside a live writer checks the committed prefix and leaves its files alone', async () => {
    const d = dir();
    const ledger = await openTestLedger(d);
    await ledger.appendBatch(Array.from({ length: 20 }, (_, i) => event(i + 1)));
    await ledger.checkpoint();
    // An append in flight: bytes past the commit point, as between write and state rename.
    const leaves = join(d, 'leaves.log');
    writeFileSync(leaves, Buffer.concat([readFileSync(leaves), Buffer.from([0, 0, 1])]));
    expect(await verifyLedger(d)).toMatchObject({ ok: true, writerLive: true, size: 20 });
    // A damaged cache is reported, not replaced under the writer; repairCache fixes it.
    const level0 = join(d, 'cache', 'level-00.bin');
    const bad = readFileSync(level0);
    bad[7]! ^= 1;
    writeFileSync(level0, bad);
    expect(await verifyLedger(d)).toMatchObject({
      ok: true,
      writerLive: true,
      cachesRebuilt: true,
    });
    expect(readFileSync(level0).equals(bad)).toBe(true);
    await ledger.repairCache();
    expect(await verifyLedger(d)).toMatchObject({ ok: true, cachesRebuilt: false });
    await ledger.close();
    // Closed, the stray bytes are an uncommitted tail again.
    expect(await verifyLedger(d)).toMatchObject({ ok: false, file: 'leaves.log' });
  });
});
