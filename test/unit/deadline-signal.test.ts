import { getEventListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { requestSignal } from '../../actors/agents/models/http.ts';
import { deadlineSignal, releaseDeadline } from '../../runtime/deadline-signal.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Resolves with how the signal ended, or 'never' if it is still live after `ms`. */
function outcome(signal: AbortSignal, ms: number): Promise<string> {
  return new Promise((res) => {
    const t = setTimeout(() => res('never'), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      res((signal.reason as Error).name);
    });
  });
}

async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
  }
}

describe('a deadline signal (model requests, tool calls, alert sends)', () => {
  // AbortSignal.any([caller, AbortSignal.timeout(ms)]) never fires on Node 20 once a garbage
  // collection ran before the deadline: a hung model request would never be aborted.
  /** A request signal due in `inMs`, watched, with garbage collections run before the deadline. */
  async function watchedAfterGc(inMs: number) {
    const caller = new AbortController();
    const signal = requestSignal({
      messages: [],
      tools: [],
      signal: caller.signal,
      deadline: Date.now() + inMs,
    });
    const seen = outcome(signal, 3000);
    await collectGarbage();
    return { caller, seen };
  }

  it('aborts at the deadline even after garbage collections', async () => {
    const { seen } = await watchedAfterGc(150);
    expect(await seen).toBe('TimeoutError');
  });

  it("follows the caller's abort, before the deadline, with the caller's reason", async () => {
    const { caller, seen } = await watchedAfterGc(60_000);
    caller.abort(new RangeError('handler abandoned'));
    expect(await seen).toBe('RangeError');
  });

  it('is aborted at once for a caller already aborted, and is the caller itself without a deadline', () => {
    const caller = new AbortController();
    caller.abort(new Error('gone'));
    expect(
      requestSignal({ messages: [], tools: [], signal: caller.signal, deadline: Date.now() + 1000 })
        .aborted,
    ).toBe(true);
    const live = new AbortController();
    expect(requestSignal({ messages: [], tools: [], signal: live.signal })).toBe(live.signal);
    expect(requestSignal({ messages: [], tools: [] }).aborted).toBe(false);
  });

  it('once released, leaves no listener on a long-lived caller and never fires', async () => {
    const caller = new AbortController();
    const signals = Array.from({ length: 20 }, () =>
      deadlineSignal(caller.signal, Date.now() + 100),
    );
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(20);
    for (const s of signals) releaseDeadline(s);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(signals.some((s) => s.aborted)).toBe(false);
  });
});
