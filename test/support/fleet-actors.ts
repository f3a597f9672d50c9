import { z } from 'zod';
import { defineActor, defineSupervisor } from '../../runtime/index.ts';

/** Handles a tick every `everyMs` from its own timer: steady traffic for rates and plots. */
export const Ticker = defineActor({
  type: 'ticker',
  state: (args: { everyMs: number } | undefined) => ({ ticks: 0, everyMs: args?.everyMs ?? 50 }),
  tells: { tick: z.object({}).strict() },
  onStart(s, ctx) {
    ctx.timers.repeat('tick', s.everyMs, 'tick', {});
  },
  handle: {
    tick: (s) => ({ ...s, ticks: s.ticks + 1 }),
  },
});

/** Crashes on `crash`: what the dashboard and `troupe events` must show. */
export const Crasher = defineActor({
  type: 'crasher',
  state: () => ({ crashes: 0 }),
  tells: { crash: z.object({ why: z.string().optional() }).strict() },
  handle: {
    crash(_s, m) {
      throw new Error(m.why ?? 'crashed on purpose');
    },
  },
});

/** A supervisor over a ticker and a crasher; restarts are quick so a test sees them at once. */
export const Crew = defineSupervisor({
  type: 'crew',
  strategy: 'one_for_one',
  intensity: 100,
  period: 10,
  backoff: { initialMs: 20, maxMs: 100 },
  children: [
    { id: 'ticker', start: { def: Ticker, args: { everyMs: 50 } } },
    { id: 'crasher', start: { def: Crasher } },
  ],
});
