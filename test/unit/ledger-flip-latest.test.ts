// Every byte of the latest-checkpoint copy (derived: verify must rebuild it, never trust it).
import { describe, it } from 'vitest';
import { flipEveryByte, useFlipLedger } from '../support/ledger-flip.ts';

const flipLedger = useFlipLedger();

describe('single-byte tampering: the latest checkpoint copy', () => {
  it('every byte of checkpoint', async () => {
    const fx = flipLedger();
    await flipEveryByte(fx.dir, 'checkpoint', fx.original.get('checkpoint')!, fx.trusted);
  }, 300_000);
});
