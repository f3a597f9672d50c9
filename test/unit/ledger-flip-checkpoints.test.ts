// Every byte of the checkpoint history (non-derived: each flip must fail verification).
import { describe, it } from 'vitest';
import { flipEveryByte, useFlipLedger } from '../support/ledger-flip.ts';

const flipLedger = useFlipLedger();

describe('single-byte tampering: checkpoints.log', () => {
  it('every byte of checkpoints.log', async () => {
    const fx = flipLedger();
    await flipEveryByte(fx.dir, 'checkpoints.log', fx.original.get('checkpoints.log')!, fx.trusted);
  }, 300_000);
});
