import { join } from 'node:path';
import { z } from 'zod';
import { isValidKeyName } from '../../protocols/checkpoint/index.ts';
import { NamedError } from '../../protocols/named-error.ts';
import {
  type ActorRef,
  type ActorSystem,
  type AuditSink,
  InvalidArgument,
  parseOptions,
  Timeout,
} from '../../runtime/index.ts';
import {
  AuditSinkOptionsSchema,
  type AuditSinkStats,
  type AuditStream,
  type AuditStreamInfo,
  type AuditStreamSettings,
  AuditStreamSettingsSchema,
  auditStreamName,
  createJetStreamAuditSink,
  ensureAuditStream,
  jetStreamAuditStream,
  type LedgerAuditSink,
} from '../audit/index.ts';
import { LedgerActor, type LedgerActorArgs, type LedgerProtocol } from './ledger-actor.ts';
import { createLocalAuditSink } from './local-sink.ts';
import { type LocalAuditStream, openLocalStream } from './local-stream.ts';

/**
 * One call to give a system its audit ledger: the stream (JetStream when the system runs on NATS,
 * the local file stream when it is embedded), an audit sink feeding it (set as the system's sink),
 * and the ledger actor following it. `attachAuditSink` is the half for processes that only emit.
 */

/** The sink options a ledger passes through, checked by the sink's own schema (one set of limits). */
const SinkTuning = AuditSinkOptionsSchema.pick({
  maxBatchEvents: true,
  maxBatchBytes: true,
  retryHorizonMs: true,
  maxBufferedBytes: true,
}).strict();

const fn = z.custom<(...a: never[]) => unknown>((v) => typeof v === 'function', 'a function');

const OptionsSchema = z
  .object({
    dir: z.string().min(1),
    origin: z
      .string()
      .refine((o) => isValidKeyName(o) && Buffer.byteLength(o) <= 255, 'a key name ≤ 255 bytes')
      .optional(),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, 'an actor name')
      .optional(),
    stream: z.enum(['auto', 'jetstream', 'local']).optional(),
    streamDir: z.string().min(1).optional(),
    streamSettings: AuditStreamSettingsSchema.optional(),
    sink: z.union([z.literal(false), SinkTuning]).optional(),
    keysDir: z.string().min(1).optional(),
    keys: z.custom<object>((v) => typeof v === 'object' && v !== null).optional(),
    witnesses: z
      .array(z.union([z.string(), z.object({ system: z.string(), path: z.string() })]))
      .optional(),
    checkpointIntervalMs: z.number().int().min(1000).optional(),
    maxRecords: z.number().int().min(1).max(8192).optional(),
    fetchWaitMs: z.number().int().min(0).max(10_000).optional(),
    auditAlerts: z.boolean().optional(),
    onAlert: fn.optional(),
    onCheckpoint: fn.optional(),
    onStep: fn.optional(),
  })
  .strict();

export interface AuditLedgerOptions
  extends Omit<LedgerActorArgs, 'stream' | 'origin' | 'nats' | 'dir'> {
  /** The ledger directory. */
  dir: string;
  /** The log's origin (default `troupe/<system>`): give each ledger instance its own. */
  origin?: string;
  /** The ledger actor's name (default `ledger`). */
  name?: string;
  /** `auto` (default): JetStream when the system has a NATS connection, else the local file. */
  stream?: 'auto' | 'jetstream' | 'local';
  /** The local stream's folder (default `<dir>/stream`). */
  streamDir?: string;
  /** JetStream stream settings (duplicate window, replicas, deny delete/purge). */
  streamSettings?: AuditStreamSettings;
  /** Attach a sink to the system (default, with these limits), or not (`false`). */
  sink?:
    | false
    | {
        maxBatchEvents?: number;
        maxBatchBytes?: number;
        retryHorizonMs?: number;
        maxBufferedBytes?: number;
      };
}

export type LedgerStatus = Awaited<ReturnType<AuditLedger['status']>>;

export interface AuditLedger {
  readonly ref: ActorRef<LedgerProtocol>;
  readonly stream: AuditStream;
  readonly sink: LedgerAuditSink | undefined;
  readonly streamInfo: AuditStreamInfo | undefined;
  status(timeoutMs?: number): Promise<{
    origin: string;
    size: number;
    root: string;
    cursor: string;
    checkpoint: { size: number; root: string; note: string } | null;
    cosignedSize: number;
    halted: { kind: string; seq: string; reason: string } | null;
    counts: Record<string, number>;
    alerts: number;
    streamError: string | null;
    witnesses: Array<{ witness: string; cosignedSize: number; lastError: string | null }>;
  }>;
  /**
   * Flush the sink, wait until the ledger has committed everything it published, and (with
   * `checkpoint`) until a signed checkpoint covers it.
   */
  settle(options?: { checkpoint?: boolean; timeoutMs?: number }): Promise<LedgerStatus>;
  /** Stop the actor, close the stream reader and the sink (restoring the system's previous sink). */
  close(): Promise<void>;
}

function parse(o: unknown): z.output<typeof OptionsSchema> {
  return parseOptions(OptionsSchema, o, 'audit ledger options');
}

/** Give a running system its audit ledger (see the file comment). */
export async function startAuditLedger(
  system: ActorSystem,
  options: AuditLedgerOptions,
): Promise<AuditLedger> {
  const o = parse(options);
  const kind = o.stream ?? 'auto';
  const nc = system.nats;
  if (kind === 'jetstream' && !nc) {
    throw new InvalidArgument('audit ledger options: stream: jetstream needs a system on NATS');
  }
  const useJs = kind === 'jetstream' || (kind === 'auto' && nc !== undefined);
  let stream: AuditStream;
  let local: LocalAuditStream | undefined;
  let info: AuditStreamInfo | undefined;
  let sink: LedgerAuditSink | undefined;
  if (useJs) {
    info = await ensureAuditStream(nc!, system.name, o.streamSettings);
    stream = jetStreamAuditStream(nc!, system.name);
    if (o.sink !== false) {
      sink = await createJetStreamAuditSink(nc!, {
        system: system.name,
        log: system.log,
        ...(o.sink ?? {}),
      });
    }
  } else {
    local = await openLocalStream(o.streamDir ?? join(o.dir, 'stream'), {
      name: auditStreamName(system.name),
      ...(o.streamSettings?.duplicateWindowMs
        ? { duplicateWindowMs: o.streamSettings.duplicateWindowMs }
        : {}),
    });
    stream = local;
    if (o.sink !== false) {
      try {
        sink = createLocalAuditSink(local, {
          system: system.name,
          log: system.log,
          ...(o.sink ?? {}),
        });
      } catch (err) {
        await local.close();
        throw err;
      }
    }
  }
  const previous: AuditSink | undefined = sink ? system.setAuditSink(sink) : undefined;
  const { name: _n, stream: _s, streamDir: _d, streamSettings: _t, sink: _k, ...rest } = options;
  const args: LedgerActorArgs = {
    ...rest,
    origin: o.origin ?? `troupe/${system.name}`,
    stream,
    ...(nc ? { nats: nc } : {}),
  };
  // A ledger that cannot open (locked by another process, damaged, wrong keys) fails here, with
  // its reason, instead of restarting in a loop behind the caller's back.
  const path = o.name ?? 'ledger';
  let failed: ((reason: string) => void) | undefined;
  let firstFailure: string | undefined;
  const off = system.on((e) => {
    if (e.kind === 'crashed' && e.path === path) {
      firstFailure ??= e.reason;
      failed?.(e.reason);
    }
  });
  let ref: ActorRef<LedgerProtocol> | undefined;
  try {
    ref = system.spawn(LedgerActor, { name: path, args });
    const spawned = ref;
    await new Promise<void>((resolve, reject) => {
      failed = (reason) =>
        reject(new AuditLedgerStartError(`the ledger at ${o.dir} could not start: ${reason}`));
      if (firstFailure !== undefined) failed(firstFailure);
      system.ask(spawned, 'status', {}, { timeout: 600_000 }).then(() => resolve(), reject);
    });
  } catch (err) {
    off();
    if (ref) await system.stop(ref).catch(() => {});
    if (previous) system.setAuditSink(previous);
    await stream.close();
    await sink?.close().catch(() => {});
    throw err;
  }
  off();
  const started: ActorRef<LedgerProtocol> = ref;

  const status = (timeoutMs = 10_000) => system.ask(started, 'status', {}, { timeout: timeoutMs });
  let closed = false;
  return {
    ref: started,
    stream,
    sink,
    streamInfo: info,
    status,
    async settle(opts = {}) {
      const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
      await sink?.flush();
      const target = sink ? sink.stats().lastSeq : await stream.lastSeq();
      for (;;) {
        const st = await status();
        const caughtUp = BigInt(st.cursor) >= target || st.halted !== null;
        if (caughtUp && !opts.checkpoint) return st;
        if (caughtUp && st.checkpoint && st.checkpoint.size === st.size) return st;
        if (caughtUp && opts.checkpoint) {
          await system.ask(started, 'checkpoint', {}, { timeout: 10_000 });
          continue;
        }
        if (Date.now() > deadline) {
          throw new Timeout(
            `${started.path} (caught up to ${st.cursor} of ${target})`,
            'settle',
            opts.timeoutMs ?? 60_000,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      let flushError: unknown;
      try {
        await sink?.flush();
      } catch (err) {
        flushError = err;
      }
      try {
        await system.stop(started);
      } catch {
        // Already stopped (system shutdown).
      }
      await stream.close();
      if (sink) {
        if (previous && system.auditLog === sink) system.setAuditSink(previous);
        await sink.close().catch(() => {});
      }
      if (flushError) throw flushError;
    },
  };
}

export type { AuditSinkStats };

/** The ledger actor failed to start (its directory is locked, damaged, or has other keys). */
export class AuditLedgerStartError extends NamedError {}

/**
 * For a process that emits audit events but runs no ledger (an agent node on NATS): make sure the
 * system's audit stream exists and send the system's audit events to it.
 */
export async function attachAuditSink(
  system: ActorSystem,
  options: {
    streamSettings?: AuditStreamSettings;
    maxBatchEvents?: number;
    maxBatchBytes?: number;
    retryHorizonMs?: number;
    maxBufferedBytes?: number;
  } = {},
): Promise<LedgerAuditSink> {
  const nc = system.nats;
  if (!nc) {
    throw new InvalidArgument(
      'attachAuditSink needs a system on NATS; an embedded system gets its sink from startAuditLedger',
    );
  }
  const { streamSettings, ...tuning } = options;
  await ensureAuditStream(nc, system.name, streamSettings);
  const sink = await createJetStreamAuditSink(nc, {
    system: system.name,
    log: system.log,
    ...tuning,
  });
  system.setAuditSink(sink);
  return sink;
}
