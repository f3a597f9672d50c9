import { z } from 'zod';
import { defineActor } from './define-actor.ts';
import { MISSED_BEATS, type WatchdogArgs } from './watchdog-port.ts';

// A kernel service that happens to be an actor: it lives in runtime/ so that every system,
// whichever entry point started it, enforces handler limits by default (SystemOptions.watchdog).

/**
 * Watches supervised actors that declared a handler-time limit or a heartbeat interval. A
 * handler running past its limit, or silent for more than MISSED_BEATS heartbeat intervals,
 * is hung: the runtime abandons it, its asker gets `Hung` at once, and its supervisor
 * restarts it by the usual rules.
 */
export const Watchdog = defineActor({
  type: 'watchdog',
  state: (args: WatchdogArgs) => ({ port: args.port, intervalMs: args.intervalMs, verdicts: 0 }),
  tells: {
    scan: z.object({}),
    configure: z.object({ intervalMs: z.number().int().min(1) }),
  },
  asks: {
    stats: {
      request: z.object({}),
      reply: z.object({ intervalMs: z.number(), verdicts: z.number() }),
    },
  },
  handle: {
    scan(s) {
      const now = Date.now();
      for (const w of s.port.watched()) {
        if (w.handlerStartedAt === 0) continue;
        const running = now - w.handlerStartedAt;
        if (w.maxHandlerMs !== null && running > w.maxHandlerMs) {
          s.verdicts++;
          s.port.markHung(w.path, `handler ran ${running} ms, over its ${w.maxHandlerMs} ms limit`);
        } else if (w.heartbeatMs !== null && now - w.lastBeat > w.heartbeatMs * MISSED_BEATS) {
          s.verdicts++;
          s.port.markHung(
            w.path,
            `no heartbeat for ${now - w.lastBeat} ms (interval ${w.heartbeatMs} ms)`,
          );
        }
      }
    },
    configure(s, m, ctx) {
      if (m.intervalMs >= s.intervalMs) return;
      s.intervalMs = m.intervalMs;
      ctx.timers.repeat('scan', s.intervalMs, 'scan', {});
    },
    stats: (s, _m, ctx) => ctx.reply({ intervalMs: s.intervalMs, verdicts: s.verdicts }),
  },
  onStart(s, ctx) {
    ctx.timers.repeat('scan', s.intervalMs, 'scan', {});
  },
});
