import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay as redialDelay } from '../../actors/bridge/index.ts';
import { backoffDelay } from '../../index.ts';

describe('the one backoff', () => {
  it('grows by the multiplier up to the ceiling, with no jitter when asked', () => {
    const b = { initialMs: 50, maxMs: 2_000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(b, n))).toEqual([
      50, 100, 200, 400, 800, 1600, 2000,
    ]);
    expect(backoffDelay(b, 0)).toBe(0);
    expect(backoffDelay(b, 10_000)).toBe(2_000);
  });

  it('spreads around the schedule, or only below it, and never past the ceiling', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom('spread' as const, 'below' as const),
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (initialMs, maxMs, multiplier, jitter, jitterMode, n, r) => {
          const b = { initialMs, maxMs, multiplier, jitter, jitterMode };
          const d = backoffDelay(b, n, () => r);
          const base = Math.min(maxMs, initialMs * multiplier ** (n - 1));
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(maxMs);
          expect(d).toBeGreaterThanOrEqual(Math.floor(base * (1 - jitter)));
          if (jitterMode === 'below') expect(d).toBeLessThanOrEqual(Math.ceil(base));
          else expect(d).toBeLessThanOrEqual(Math.ceil(base * (1 + jitter)));
        },
      ),
    );
  });

  it("keeps the bridge's redial delays: between half and all of min(max, initial·2^attempt)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, initialMs, maxMs, r) => {
          const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
          const d = redialDelay(attempt, { initialMs, maxMs }, () => r);
          expect(Math.abs(d - (cap / 2 + (r * cap) / 2))).toBeLessThanOrEqual(0.5 + 1e-9);
        },
      ),
    );
  });
});
