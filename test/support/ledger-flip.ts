import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../actors/ledger/store/index.ts';
import {
  event,
  filesOf,
  isDerived,
  openTestLedger,
  STREAM,
  testKeys,
  tmpDir,
} from './ledger-fixtures.ts';

/**
 * The ledger the single-byte tamper tests use: 19 entries with a gap, a late event inside it, a
 * control entry and an erased payload, and two checkpoints. Each test file builds its own copy
 * so the files can run in parallel.
 */
export async function buildFlipLedger(): Promise<{
  dir: string;
  cleanup: () => void;
  files: string[];
  original: Map<string, Buffer>;
  trusted: string[];
}> {
  const { dir, cleanup } = tmpDir('troupe-flip-');
  const ledger = await openTestLedger(dir);
  await ledger.appendBatch(Array.from({ length: 8 }, (_, i) => event(i + 1)));
  await ledger.checkpoint();
  await ledger.appendBatch([
    { type: 'gap', first: 9n, last: 11n, stream: STREAM },
    event(12),
    { type: 'control', topic: 'config', kind: 1n, stream: STREAM, payload: Buffer.from('{"a":1}') },
    event(10), // late, inside the gap
    ...Array.from({ length: 7 }, (_, i) => event(13 + i)),
  ]);
  await ledger.erasePayload(3);
  await ledger.checkpoint();
  await ledger.close();
  const files = filesOf(dir);
  const original = new Map<string, Buffer>();
  for (const f of files) original.set(f, readFileSync(join(dir, f)));
  return { dir, cleanup, files, original, trusted: testKeys().vkeys };
}

export type FlipLedger = Awaited<ReturnType<typeof buildFlipLedger>>;

/** Builds the flip ledger once for the test file (beforeAll) and removes it after (afterAll). */
export function useFlipLedger(): () => FlipLedger {
  let fx: FlipLedger | undefined;
  beforeAll(async () => {
    fx = await buildFlipLedger();
  }, 60_000);
  afterAll(() => fx?.cleanup());
  return () => {
    if (!fx) throw new Error('the flip ledger is built in beforeAll');
    return fx;
  };
}

/** A fixed, varied, non-zero mask per byte position (so some flips keep base64 valid). */
export const flipMask = (i: number): number => ((i * 151 + 7) % 255) + 1;

/**
 * Change every byte of one file in turn and run verifyLedger: a non-derived file must fail
 * verification every time; a derived one must pass and be rewritten to its true content.
 */
export async function flipEveryByte(
  dir: string,
  file: string,
  bytes: Buffer,
  trusted: string[],
): Promise<void> {
  const path = join(dir, file);
  const missed: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const bad = Buffer.from(bytes);
    bad[i]! ^= flipMask(i);
    writeFileSync(path, bad);
    const report = await verifyLedger(dir, { vkeys: trusted });
    if (isDerived(file)) {
      if (!report.ok || !report.cachesRebuilt) missed.push(i);
      if (!readFileSync(path).equals(bytes)) missed.push(i);
    } else if (report.ok) missed.push(i);
    writeFileSync(path, bytes);
  }
  expect(missed, `flips of ${file} that verify did not handle`).toEqual([]);
}

/**
 * A test file of its own for one costly file (so the files run in parallel): its own flip ledger
 * and one test that flips every byte of `file`.
 */
export function describeEveryByteOf(title: string, file: string): void {
  const flipLedger = useFlipLedger();
  describe(title, () => {
    it(`every byte of ${file}`, async () => {
      const fx = flipLedger();
      await flipEveryByte(fx.dir, file, fx.original.get(file)!, fx.trusted);
    }, 300_000);
  });
}
