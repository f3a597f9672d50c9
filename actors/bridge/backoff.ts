import { backoffDelay as delayOf } from '../../runtime/supervision/backoff.ts';

/** How long to wait before redialing a peer. */
export interface BackoffOptions {
  /** First delay. Default 250 ms. */
  readonly initialMs: number;
  /** Ceiling. Default 30 s. */
  readonly maxMs: number;
}

export const BACKOFF_DEFAULTS: BackoffOptions = { initialMs: 250, maxMs: 30_000 };

/**
 * The redial delay: the runtime's one backoff with "equal jitter" (doubling; the `attempt`-th
 * retry, 0-based, waits between half and all of min(max, initial·2^attempt)). The random half
 * keeps many sites that lost the same peer from redialing in lockstep; the fixed half keeps a
 * retry from coming at once.
 *
 * @deprecated for new code: use the runtime's `backoffDelay(policy, n)` (n is 1-based).
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = BACKOFF_DEFAULTS,
  random: () => number = Math.random,
): number {
  const policy = { ...options, jitter: 0.5, jitterMode: 'below' } as const;
  return delayOf(policy, Math.max(0, attempt) + 1, random);
}
