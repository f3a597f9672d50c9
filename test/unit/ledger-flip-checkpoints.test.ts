// Every byte of the checkpoint history (non-derived: each flip must fail verification).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { buildFlipLedger, flipEveryByte } from '../support/ledger-flip.ts';

let fx: Awaited<ReturnType<typeof buildFlipLedger>>;
beforeAll(async () => {
  fx = await buildFlipLedger();
}, 60_000);
afterAll(() => fx.cleanup());

describe('single-byte tampering: checkpoints.log', () => {
  it('every byte of checkpoints.log', async () => {
    await flipEveryByte(fx.dir, 'checkpoints.log', fx.original.get('checkpoints.log')!, fx.trusted);
  }, 300_000);
});
