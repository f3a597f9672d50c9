/** How to end a deadline signal's timer and caller listener, by signal. */
const releases = new WeakMap<AbortSignal, () => void>();

/**
 * A signal that aborts when `caller` does (with its reason) or when the absolute `deadline`
 * (epoch ms) passes (a `TimeoutError`), whichever comes first.
 *
 * Use it instead of `AbortSignal.any([caller, AbortSignal.timeout(ms)])`: on Node 20 the
 * sources of such a signal hold it only weakly, so after a garbage collection before the
 * deadline it never fires and a hung request is never aborted (see nodejs/node#55428 and
 * undici#4068). Here one controller is held strongly by the timer and by a listener on the
 * caller. The timer is unref'd (it keeps no process alive). Call `releaseDeadline(signal)` when
 * the work is over, so a long-lived caller does not collect one listener per request; at the
 * latest both go when the signal aborts.
 */
export function deadlineSignal(caller: AbortSignal | undefined, deadline: number): AbortSignal {
  const ac = new AbortController();
  if (caller?.aborted) {
    ac.abort(caller.reason);
    return ac.signal;
  }
  const onCaller = () => ac.abort(caller?.reason);
  caller?.addEventListener('abort', onCaller, { once: true });
  const timer = setTimeout(
    () => ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    Math.max(0, deadline - Date.now()),
  );
  timer.unref();
  const release = () => {
    clearTimeout(timer);
    caller?.removeEventListener('abort', onCaller);
    releases.delete(ac.signal);
  };
  releases.set(ac.signal, release);
  ac.signal.addEventListener('abort', release, { once: true });
  return ac.signal;
}

/** The work under a deadline signal is over: drop its timer and its listener on the caller. */
export function releaseDeadline(signal: AbortSignal): void {
  releases.get(signal)?.();
}
