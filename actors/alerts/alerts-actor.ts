import { z } from 'zod';
import { defineActor } from '../../runtime/index.ts';
import type { SinkStats } from './delivery.ts';
import type { AlertEngine } from './engine.ts';

export const SignalSchema = z.object({
  source: z.enum(['runtime', 'ledger', 'mesh', 'nats']),
  kind: z.string(),
  system: z.string(),
  node: z.string(),
  subject: z.string(),
  reason: z.string(),
  at: z.number(),
  data: z.record(z.string(), z.unknown()),
});

export const AlertsStatusSchema = z.object({
  sinks: z.array(
    z.object({
      sink: z.string(),
      queued: z.number(),
      delivered: z.number(),
      retries: z.number(),
      dropped: z.number(),
      rejected: z.number(),
      down: z.boolean(),
      lastError: z.string().nullable(),
    }),
  ),
  open: z.array(
    z.object({ rule: z.string(), node: z.string(), subject: z.string(), count: z.number() }),
  ),
  signals: z.number(),
});
export type AlertsStatus = z.output<typeof AlertsStatusSchema>;

/** What the alerts actor runs with: the rules engine and the sinks' counts live outside it. */
export interface AlertsArgs {
  engine: AlertEngine;
  sinks: () => SinkStats[];
  tickMs: number;
}

/**
 * The alerts actor: every signal from the fleet comes through its mailbox, one at a time, into
 * the rules engine; a timer ticks summaries and recoveries. Delivery runs beside it (delivery.ts),
 * so a sink that is down never holds its mailbox. The mailbox drops its oldest signal when full:
 * a flood must not push back on the system it watches.
 */
export const AlertsActor = defineActor({
  type: 'alerts',
  state: (args: AlertsArgs) => ({ args, signals: 0 }),
  tells: { signal: SignalSchema, tick: z.object({}) },
  asks: { status: { request: z.object({}).strict(), reply: AlertsStatusSchema } },
  onStart(s, ctx) {
    ctx.timers.repeat('tick', s.args.tickMs, 'tick', {});
  },
  handle: {
    signal(s, m) {
      s.signals++;
      s.args.engine.signal(m);
    },
    tick(s) {
      s.args.engine.tick(Date.now());
    },
    status(s, _m, ctx) {
      ctx.reply({ sinks: s.args.sinks(), open: s.args.engine.open(), signals: s.signals });
    },
  },
  mailbox: { capacity: 10_000, overflow: 'dropOldest' },
});
