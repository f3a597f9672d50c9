// Every byte of the latest-checkpoint copy (derived: verify must rebuild it, never trust it).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { buildFlipLedger, flipEveryByte } from '../support/ledger-flip.ts';

let fx: Awaited<ReturnType<typeof buildFlipLedger>>;
beforeAll(async () => {
  fx = await buildFlipLedger();
}, 60_000);
afterAll(() => fx.cleanup());

describe('single-byte tampering: the latest checkpoint copy', () => {
  it('every byte of checkpoint', async () => {
    await flipEveryByte(fx.dir, 'checkpoint', fx.original.get('checkpoint')!, fx.trusted);
  }, 300_000);
});
