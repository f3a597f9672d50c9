// verifyLedger must notice any single-byte change to any non-derived file of a ledger directory
// and rebuild (never trust) the derived ones: every byte of every file, one at a time. The two
// checkpoint files are in ledger-flip-checkpoints.test.ts (they cost more: signatures).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../actors/ledger/store/index.ts';
import { flipEveryByte, flipMask, useFlipLedger } from '../support/ledger-flip.ts';

const flipLedger = useFlipLedger();

describe('single-byte tampering: logs, state, keys, tree cache', () => {
  it('the untouched ledger verifies: 19 entries, a gap, a late event, an erasure', async () => {
    const fx = flipLedger();
    expect(fx.files).toEqual([
      'LEDGER',
      'cache/level-00.bin',
      'cache/level-01.bin',
      'cache/level-02.bin',
      'cache/level-03.bin',
      'cache/level-04.bin',
      'checkpoint',
      'checkpoints.log',
      'leaves.log',
      'payloads.log',
      'state',
      'vkeys',
    ]);
    expect(await verifyLedger(fx.dir, { vkeys: fx.trusted })).toMatchObject({
      ok: true,
      size: 19,
      lastStreamSeq: 19n,
      signedSize: 19,
      checkpoints: 2,
      erased: 1,
      cachesRebuilt: false,
    });
  });

  it.each(['LEDGER', 'vkeys', 'state', 'leaves.log', 'payloads.log'])(
    'every byte of %s',
    async (file) => {
      const fx = flipLedger();
      await flipEveryByte(fx.dir, file, fx.original.get(file)!, fx.trusted);
    },
    120_000,
  );

  it('every byte of every tree cache level (derived: rebuilt)', async () => {
    const fx = flipLedger();
    for (const file of fx.files.filter((f) => f.startsWith('cache/'))) {
      await flipEveryByte(fx.dir, file, fx.original.get(file)!, fx.trusted);
    }
  }, 120_000);

  it('without trusted keys, the directory vkeys are checked the same way', async () => {
    const fx = flipLedger();
    const path = join(fx.dir, 'vkeys');
    const bytes = fx.original.get('vkeys')!;
    for (let i = 0; i < bytes.length; i += 11) {
      const bad = Buffer.from(bytes);
      bad[i]! ^= flipMask(i);
      writeFileSync(path, bad);
      expect((await verifyLedger(fx.dir)).ok, `byte ${i}`).toBe(false);
    }
    writeFileSync(path, bytes);
    expect((await verifyLedger(fx.dir)).ok).toBe(true);
  }, 120_000);

  it('names the first bad entry', async () => {
    const fx = flipLedger();
    const leaves = fx.original.get('leaves.log')!;
    const bad = Buffer.from(leaves);
    bad[leaves.length - 40]! ^= 1; // inside the last entry
    writeFileSync(join(fx.dir, 'leaves.log'), bad);
    const report = await verifyLedger(fx.dir, { vkeys: fx.trusted });
    writeFileSync(join(fx.dir, 'leaves.log'), leaves);
    expect(report).toMatchObject({ ok: false, file: 'leaves.log', index: 18 });
    expect(readFileSync(join(fx.dir, 'leaves.log')).equals(leaves)).toBe(true);
  });
});
