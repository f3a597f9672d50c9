import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuditSink } from './audit.ts';
import type { AskOptions } from './context.ts';
import type { ActorDef } from './define-actor.ts';
import { InvalidArgument } from './errors.ts';
import type { ProcessLauncher } from './process-port.ts';
import { isTraceparent } from './trace.ts';
import { NatsOptionsSchema } from './transport/nats-options.ts';
import type { WatchdogDef } from './watchdog-port.ts';

const TransportOptionsSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('memory') }).strict(),
  NatsOptionsSchema,
]);
export type TransportOptions = z.input<typeof TransportOptionsSchema>;

export const SystemOptionsSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a subject token: A-Z a-z 0-9 _ -'),
    node: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, 'a subject token: A-Z a-z 0-9 _ -')
      .optional(),
    transport: TransportOptionsSchema.optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    stopTimeoutMs: z.number().int().positive().max(600_000).optional(),
    /** Node heartbeat interval on NATS (ms; 0 = none): supervisors elsewhere detect a lost host by it. */
    heartbeatMs: z.number().int().nonnegative().max(600_000).optional(),
    shutdownTimeoutMs: z.number().int().positive().max(600_000).optional(),
    /** Bytes of a dead letter's body kept in its record (the rest is cut; default 1024). */
    deadLetterBodyBytes: z.number().int().nonnegative().max(1_048_576).optional(),
  })
  .strict();

export interface SystemOptions extends Omit<z.input<typeof SystemOptionsSchema>, 'transport'> {
  transport?: TransportOptions;
  /** A pino logger to use instead of the system's own. */
  logger?: Logger;
  /** Where audit events go; by default the most recent are kept in memory. */
  audit?: AuditSink;
  /**
   * The watchdog actor for handler limits and heartbeats: the runtime's own by default (every
   * system has it, whatever entry point started it); null turns limits off.
   */
  watchdog?: WatchdogDef | null;
  /** Starts `start.process` children (default: ActorSystem.defaultProcessLauncher). */
  processes?: ProcessLauncher;
}

/** A node name: host, pid and a random suffix, as a subject token. */
export function nodeId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .slice(0, 40) || 'node';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Node's timers hold 2^31-1 ms (about 24.8 days); a longer delay fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** `{ timeout }` or `{ deadline }`, checked; the common case on a fast path. */
export function checkAskOptions(opts: unknown): AskOptions {
  // Fast path: the common `{ timeout }`.
  const fast = opts as { timeout?: unknown; traceparent?: unknown } | null;
  if (
    fast !== null &&
    typeof fast === 'object' &&
    typeof fast.timeout === 'number' &&
    fast.timeout > 0 &&
    fast.timeout <= MAX_TIMER_MS &&
    fast.traceparent === undefined
  ) {
    return opts as AskOptions;
  }
  if (typeof opts !== 'object' || opts === null) {
    throw new InvalidArgument('ask needs { timeout: ms } or { deadline: epochMs }');
  }
  const o = opts as Record<string, unknown>;
  if ('timeout' in o) {
    const t = o.timeout;
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) {
      throw new InvalidArgument(`ask timeout must be a positive number of ms (got ${String(t)})`);
    }
    if (t > MAX_TIMER_MS) {
      throw new InvalidArgument(`ask timeout must be at most ${MAX_TIMER_MS} ms (got ${t})`);
    }
  } else if ('deadline' in o) {
    const d = o.deadline;
    if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0) {
      throw new InvalidArgument(`ask deadline must be epoch ms (got ${String(d)})`);
    }
    if (d - Date.now() > MAX_TIMER_MS) {
      throw new InvalidArgument(
        `ask deadline must be at most ${MAX_TIMER_MS} ms from now (got ${d - Date.now()} ms)`,
      );
    }
  } else throw new InvalidArgument('ask needs { timeout: ms } or { deadline: epochMs }');
  if (o.traceparent !== undefined && !isTraceparent(o.traceparent)) {
    throw new InvalidArgument(`not a W3C traceparent: ${String(o.traceparent)}`);
  }
  return opts as AskOptions;
}

export function isActorDef(def: unknown): def is ActorDef {
  return (
    typeof def === 'object' &&
    def !== null &&
    typeof (def as ActorDef).type === 'string' &&
    typeof (def as ActorDef).entries === 'object'
  );
}
