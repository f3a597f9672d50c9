/** How long to wait before redialing a peer. */
export interface BackoffOptions {
  /** First delay. Default 250 ms. */
  readonly initialMs: number;
  /** Ceiling. Default 30 s. */
  readonly maxMs: number;
}

export const BACKOFF_DEFAULTS: BackoffOptions = { initialMs: 250, maxMs: 30_000 };

/**
 * Exponential backoff with "equal jitter": the `attempt`-th retry (0-based) waits between half
 * and all of min(max, initial·2^attempt). The random half keeps many sites that lost the same
 * peer from redialing in lockstep; the fixed half keeps a retry from coming at once.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = BACKOFF_DEFAULTS,
  random: () => number = Math.random,
): number {
  const exp = Math.min(Math.max(0, attempt), 30);
  const cap = Math.min(options.maxMs, options.initialMs * 2 ** exp);
  return Math.round(cap / 2 + (random() * cap) / 2);
}
