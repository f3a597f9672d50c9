import { z } from 'zod';
import type { MailboxOptions, SpawnableDef } from '../context.ts';
import { parseOptions } from '../parse-options.ts';
import type { Protocol } from '../protocol.ts';
import { type ProcessStart, ProcessStartSchema } from './process-spec.ts';

/** OTP restart types: permanent always, transient after an abnormal exit, temporary never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';
/** OTP shutdown: ms to wait for the child to finish, `brutal` (no wait) or `infinity`. */
export type Shutdown = number | 'brutal' | 'infinity';

/** A child spec, as plain data (printable, diffable, validated). */
export interface ChildSpec<A = unknown> {
  /** Path segment of the child under its supervisor. */
  readonly id: string;
  readonly start: {
    readonly def: SpawnableDef<unknown, A, Protocol>;
    readonly args?: A;
    readonly mailbox?: MailboxOptions;
    readonly shard?: boolean;
    /** Run the child as its own OS process (actors/process; docs/isolation.md). */
    readonly process?: ProcessStart;
  };
  readonly restart?: RestartType;
  readonly shutdown?: Shutdown;
  readonly type?: 'worker' | 'supervisor';
  /** Watchdog: a handler running longer than this marks the child hung. */
  readonly maxHandlerMs?: number;
  /** Watchdog: while handling, the child must call ctx.heartbeat() at least this often. */
  readonly heartbeatMs?: number;
  /**
   * Run the child in another process: the node name of a host (`system.host(defs)`), or
   * `*` for any node hosting the type. Its host's heartbeat loss counts as a crash.
   */
  readonly node?: string;
  /**
   * With `node: '*'`: how long the child waits for a node hosting its type (state `waiting`)
   * before its start counts as failed; default 5 minutes, 0 fails at once. Waiting does not
   * count toward the supervisor's intensity, nor hold up its siblings.
   */
  readonly waitForHostMs?: number;
}

/** Exponential backoff between restarts, with jitter; reset after a stable run. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly multiplier?: number;
  /** Fraction of the delay added or removed at random, 0..1 (default 0.2). */
  readonly jitter?: number;
  /** A child that ran this long since its last restart starts over at initialMs (default 30 s). */
  readonly resetAfterMs?: number;
}

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';

export interface SupervisorFlags {
  readonly strategy: Strategy;
  /** At most `intensity` restarts within `period` seconds, else give up (OTP defaults 1 and 5). */
  readonly intensity?: number;
  readonly period?: number;
  readonly backoff?: Backoff;
}

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a path segment: A-Z a-z 0-9 _ -');
const Ms = z.number().int().nonnegative().max(2_147_483_647);

const ChildSpecSchema = z
  .object({
    id: Id,
    start: z
      .object({
        def: z.custom<SpawnableDef<unknown, unknown, Protocol>>(
          (d) =>
            typeof d === 'object' &&
            d !== null &&
            typeof (d as { entries?: unknown }).entries === 'object',
          'a definition made by defineActor or defineSupervisor',
        ),
        args: z.unknown().optional(),
        mailbox: z
          .object({
            // Infinity: unbounded (runtime/mailbox/bounded.ts says what that risks).
            capacity: z
              .union([
                z.number().int().min(1).max(100_000_000),
                z.literal(Number.POSITIVE_INFINITY),
              ])
              .optional(),
            overflow: z.enum(['fail', 'dropOldest', 'dropNewest']).optional(),
          })
          .strict()
          .optional(),
        shard: z.boolean().optional(),
        process: ProcessStartSchema.optional(),
      })
      .strict(),
    restart: z.enum(['permanent', 'transient', 'temporary']).optional(),
    shutdown: z.union([Ms, z.literal('brutal'), z.literal('infinity')]).optional(),
    type: z.enum(['worker', 'supervisor']).optional(),
    maxHandlerMs: Ms.min(1).optional(),
    heartbeatMs: Ms.min(1).optional(),
    node: z.union([Id, z.literal('*')]).optional(),
    waitForHostMs: Ms.optional(),
  })
  .strict();

const BackoffSchema = z
  .object({
    initialMs: Ms,
    maxMs: Ms,
    multiplier: z.number().min(1).max(100).optional(),
    jitter: z.number().min(0).max(1).optional(),
    resetAfterMs: Ms.optional(),
  })
  .strict()
  .refine((b) => b.maxMs >= b.initialMs, 'maxMs must be at least initialMs');

const FlagsSchema = z
  .object({
    strategy: z.enum(['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one']),
    intensity: z.number().int().nonnegative().max(1_000_000).optional(),
    period: z.number().positive().max(86_400).optional(),
    backoff: BackoffSchema.optional(),
  })
  .strict();

/** A child spec with every default filled in. */
export interface NormalizedChildSpec extends ChildSpec {
  readonly restart: RestartType;
  readonly shutdownMs: number;
  readonly type: 'worker' | 'supervisor';
}

export interface NormalizedFlags {
  readonly strategy: Strategy;
  readonly intensity: number;
  readonly period: number;
  readonly backoff: Required<Backoff> | null;
}

export function isSupervisorDef(def: unknown): boolean {
  return (
    typeof def === 'object' &&
    def !== null &&
    (def as { supervisor?: unknown }).supervisor !== undefined
  );
}

export function normalizeChildSpec(spec: unknown, where = 'child spec'): NormalizedChildSpec {
  const s = parseOptions(ChildSpecSchema, spec, where);
  const type = s.type ?? (isSupervisorDef(s.start.def) ? 'supervisor' : 'worker');
  const shutdown = s.shutdown ?? (type === 'supervisor' ? 'infinity' : 5000);
  const shutdownMs =
    shutdown === 'brutal' ? 0 : shutdown === 'infinity' ? Number.POSITIVE_INFINITY : shutdown;
  return { ...s, restart: s.restart ?? 'permanent', shutdownMs, type } as NormalizedChildSpec;
}

export function normalizeFlags(flags: unknown): NormalizedFlags {
  const f = parseOptions(FlagsSchema, flags, 'supervisor flags');
  return {
    strategy: f.strategy,
    intensity: f.intensity ?? 1,
    period: f.period ?? 5,
    backoff: f.backoff
      ? {
          initialMs: f.backoff.initialMs,
          maxMs: f.backoff.maxMs,
          multiplier: f.backoff.multiplier ?? 2,
          jitter: f.backoff.jitter ?? 0.2,
          resetAfterMs: f.backoff.resetAfterMs ?? 30_000,
        }
      : null,
  };
}
