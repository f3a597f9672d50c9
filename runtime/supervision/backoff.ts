import type { Backoff } from './child-spec.ts';

/**
 * Delay before the n-th consecutive restart (n ≥ 1): initial × multiplier^(n-1), capped,
 * with ± jitter so a crowd of children does not restart in lockstep.
 */
export function backoffDelay(
  b: Required<Backoff>,
  n: number,
  random: () => number = Math.random,
): number {
  if (n < 1) return 0;
  const base = Math.min(b.maxMs, b.initialMs * b.multiplier ** (n - 1));
  const spread = base * b.jitter;
  return Math.max(0, Math.min(b.maxMs, Math.round(base - spread + 2 * spread * random())));
}
