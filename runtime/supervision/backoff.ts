/**
 * The one exponential backoff in troupe: supervisors between restarts, remote children waiting
 * for a host, model adapters and alert sinks between tries, pattern members between retries,
 * the mesh bridge between redials.
 */
export interface BackoffPolicy {
  /** The first delay (retry 1). */
  readonly initialMs: number;
  /** The ceiling: no delay is longer, jitter included. */
  readonly maxMs: number;
  /** Growth per retry (default 2). */
  readonly multiplier?: number;
  /** Fraction of the delay that is random, 0..1 (default 0.2); 0 is a fixed schedule. */
  readonly jitter?: number;
  /**
   * `spread` (default): up to `jitter` of the delay added or removed, so a crowd of retries
   * spreads around the schedule. `below`: only removed ("equal jitter" at 0.5: between half and
   * all of the delay), so a retry never comes later than the schedule.
   */
  readonly jitterMode?: 'spread' | 'below';
}

/**
 * Delay before the n-th consecutive retry (n ≥ 1; 0 for n < 1): initial × multiplier^(n-1),
 * capped at maxMs, then jittered (see BackoffPolicy) and rounded to a whole millisecond.
 */
export function backoffDelay(
  b: BackoffPolicy,
  n: number,
  random: () => number = Math.random,
): number {
  if (n < 1) return 0;
  const base = Math.min(b.maxMs, b.initialMs * (b.multiplier ?? 2) ** (n - 1));
  const spread = base * (b.jitter ?? 0.2);
  const delay =
    b.jitterMode === 'below'
      ? base - spread * (1 - random())
      : base - spread + 2 * spread * random();
  return Math.max(0, Math.min(b.maxMs, Math.round(delay)));
}
