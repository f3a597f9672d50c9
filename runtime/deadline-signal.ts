/**
 * A signal that aborts when `caller` does (with its reason) or when the absolute `deadline`
 * (epoch ms) passes (a `TimeoutError`), whichever comes first.
 *
 * Use it instead of `AbortSignal.any([caller, AbortSignal.timeout(ms)])`: on Node 20 the
 * sources of such a signal hold it only weakly, so after a garbage collection before the
 * deadline it never fires and a hung request is never aborted (see nodejs/node#55428 and
 * undici#4068). Here one controller is held strongly by the timer and by a listener on the
 * caller. The timer is unref'd (it keeps no process alive) and cleared once the signal aborts.
 */
export function deadlineSignal(caller: AbortSignal | undefined, deadline: number): AbortSignal {
  const ac = new AbortController();
  if (caller) {
    if (caller.aborted) {
      ac.abort(caller.reason);
      return ac.signal;
    }
    caller.addEventListener('abort', () => ac.abort(caller.reason), { once: true });
  }
  const timer = setTimeout(
    () => ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    Math.max(0, deadline - Date.now()),
  );
  timer.unref();
  ac.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return ac.signal;
}
