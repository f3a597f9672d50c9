import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { encodeBody } from '../../protocols/envelope/index.ts';
import {
  type ActorContext,
  type ActorRef,
  type AskContext,
  defineActor,
  InvalidArgument,
  parseOptions,
  Stopped,
} from '../../runtime/index.ts';
import {
  type AuditStream,
  AuditStreamError,
  ledgerEventSubject,
  type StreamRecord,
} from '../audit/index.ts';
import {
  type ConsistencyProof,
  type LedgerKeys,
  LedgerProofError,
  type LedgerStep,
  openLedger,
  type SignedCheckpoint,
} from './store/index.ts';
import { type LedgerAlert, StreamLedger } from './stream-ledger.ts';
import { type WitnessReply, WitnessReplySchema } from './witness-actor.ts';
import { readWitnessed, storeWitnessed, witnessLines } from './witnessed.ts';

/**
 * The ledger actor: follows the system's audit stream into the ledger directory (stream-ledger.ts
 * has the rules: own cursor, start check, gaps, forks), signs a checkpoint at most once a second
 * while the log grows, sends each checkpoint to its witnesses and keeps their cosignatures, and
 * answers status, checkpoint, prove and consistency. Checkpoints and alerts are announced on
 * `troupe.<sys>.evt.<node>.ledger` (what `troupe ledger tail` shows) when it has a NATS
 * connection, logged, and recorded as `ledger.alert` audit events.
 *
 * Work happens inside handlers, one at a time: a `pull` message commits one batch (fetch, group
 * commit, fsync) and sends the next `pull`; asks and the checkpoint timer interleave between
 * batches. A stream error is retried with backoff; a ledger error crashes the actor, and the
 * restart reopens the directory (recovery cuts any torn tail and proves the signed root).
 */

export interface LedgerActorArgs {
  /** The ledger directory (created on first use). */
  dir: string;
  /** The log's origin, first line of every checkpoint (e.g. `audit.example.com/dev`). */
  origin: string;
  /** Where the events come from (JetStream or the embedded file stream). */
  stream: AuditStream;
  /** Signing keys; default: loaded from (or generated in) keysDir. */
  keys?: LedgerKeys;
  /** Default `<dir>/keys`. */
  keysDir?: string;
  /** Witness actors (paths in this system, or refs): each checkpoint goes to each. */
  witnesses?: ReadonlyArray<string | ActorRef>;
  /** Checkpoint timer (ms, ≥ 1000: at most one checkpoint a second while the log grows). */
  checkpointIntervalMs?: number;
  /** Stream messages per group commit (default 256). */
  maxRecords?: number;
  /** How long one read waits for new messages before it is renewed (ms, default 1000). */
  fetchWaitMs?: number;
  /** Ask timeout for a witness (ms, default 5000). */
  witnessTimeoutMs?: number;
  /** Announce checkpoints and alerts on NATS through this connection. */
  nats?: NatsConnection;
  /** Record alerts as `ledger.alert` audit events (default true). */
  auditAlerts?: boolean;
  onAlert?: (a: LedgerAlert) => void;
  onCheckpoint?: (cp: SignedCheckpoint) => void;
  /** Crash tests: hears every durability step of the store. */
  onStep?: (step: LedgerStep) => void;
}

const fn = (what: string) =>
  z.custom<(...a: never[]) => unknown>(
    (v) => typeof v === 'function',
    `${what} must be a function`,
  );

const ArgsSchema = z
  .object({
    dir: z.string().min(1),
    origin: z.string().min(1),
    stream: z.custom<AuditStream>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as AuditStream).fetch === 'function' &&
        typeof (v as AuditStream).get === 'function' &&
        typeof (v as AuditStream).name === 'string',
      'an AuditStream (jetStreamAuditStream or openLocalStream)',
    ),
    keys: z.custom<LedgerKeys>((v) => typeof v === 'object' && v !== null).optional(),
    keysDir: z.string().min(1).optional(),
    witnesses: z
      .array(
        z.union([
          z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'an actor path'),
          z.object({ system: z.string(), path: z.string() }),
        ]),
      )
      .optional(),
    checkpointIntervalMs: z.number().int().min(1000).max(3_600_000).optional(),
    maxRecords: z.number().int().min(1).max(8192).optional(),
    fetchWaitMs: z.number().int().min(0).max(10_000).optional(),
    witnessTimeoutMs: z.number().int().min(100).max(120_000).optional(),
    nats: z.custom<NatsConnection>((v) => typeof v === 'object' && v !== null).optional(),
    auditAlerts: z.boolean().optional(),
    onAlert: fn('onAlert').optional(),
    onCheckpoint: fn('onCheckpoint').optional(),
    onStep: fn('onStep').optional(),
  })
  .strict();

/** Check ledger actor arguments: one clear error naming the field. */
export function checkLedgerArgs(args: unknown): LedgerActorArgs {
  parseOptions(ArgsSchema, args, 'ledger options');
  return args as LedgerActorArgs;
}

interface WitnessSlot {
  ref: ActorRef;
  /** The size this witness last cosigned, as far as the ledger knows (undefined: ask from 0). */
  knownSize: number | undefined;
  cosignedSize: number;
  inFlight: boolean;
  /** A checkpoint size the witness refused for good (fork, rollback): not offered again. */
  refusedSize: number | undefined;
  lastError: string | undefined;
}

interface LedgerState {
  key: object;
  args: LedgerActorArgs;
  gen: number;
  core: StreamLedger | undefined;
  ctx: ActorContext | undefined;
  witnesses: Map<string, WitnessSlot>;
  cosignedSize: number;
  streamFailures: number;
  lastStreamError: string | undefined;
  haltAnnounced: boolean;
  alerts: number;
  /** A read is outstanding (its records come back as a `records` message). */
  reading: boolean;
}

/** Followers left open by an incarnation that crashed (a restart skips onStop): closed on start. */
const openFollowers = new WeakMap<object, StreamLedger>();
let generation = 0;

const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');

/** An alert as plain data for logs, events and audit records (bigints as decimal strings). */
export function alertData(a: LedgerAlert): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(a)) out[k] = typeof v === 'bigint' ? v.toString() : v;
  return out;
}

const SEVERE = new Set(['fork', 'rollback', 'witness-refused']);

function announce(s: LedgerState, event: Record<string, unknown>): void {
  const nc = s.args.nats;
  const ctx = s.ctx;
  if (!nc || !ctx || nc.isClosed()) return;
  try {
    nc.publish(
      ledgerEventSubject(ctx.system, ctx.node),
      encodeBody({ ...event, ledger: ctx.self.path, origin: s.args.origin, at: Date.now() }),
    );
  } catch {
    // Events are best effort; the log and the audit record have it.
  }
}

function onAlert(s: LedgerState, a: LedgerAlert): void {
  s.alerts++;
  const data = alertData(a);
  const ctx = s.ctx;
  if (ctx) {
    if (SEVERE.has(a.kind)) ctx.log.error({ alert: data }, `ledger alert: ${a.kind}`);
    else ctx.log.warn({ alert: data }, `ledger alert: ${a.kind}`);
    if (s.args.auditAlerts !== false) {
      try {
        ctx.audit('ledger.alert', data);
      } catch (err) {
        ctx.log.error({ err }, 'ledger alert not audited');
      }
    }
  }
  announce(s, { kind: 'alert', alert: data });
  s.args.onAlert?.(a);
}

async function closeCore(s: LedgerState): Promise<void> {
  const core = s.core;
  s.core = undefined;
  s.gen = -1;
  if (openFollowers.get(s.key) === core) openFollowers.delete(s.key);
  await core?.close().catch(() => {});
}

/** The follower, or undefined after the ask was failed with Stopped (the ledger is reopening). */
function coreFor(s: LedgerState, ctx: AskContext<unknown>): StreamLedger | undefined {
  if (!s.core) ctx.deferReply().fail(new Stopped(ctx.self.path, 'has no open ledger (restarting)'));
  return s.core;
}

/**
 * A proof from the open ledger for a prove/consistency ask, or undefined when the ask has been
 * answered already: no open ledger (Stopped), or a proof the ledger refuses (InvalidArgument).
 */
function proofFor<P>(
  s: LedgerState,
  ctx: AskContext<unknown>,
  prove: (ledger: StreamLedger['ledger']) => P,
): P | undefined {
  const core = coreFor(s, ctx);
  if (!core) return undefined;
  try {
    return prove(core.ledger);
  } catch (err) {
    if (!(err instanceof LedgerProofError)) throw err;
    ctx.deferReply().fail(new InvalidArgument(err.message));
    return undefined;
  }
}

/** What inclusion and consistency replies share: hashes as base64, no checkpoint as ''. */
function proofOnWire(p: Omit<ConsistencyProof, 'oldSize'>) {
  return {
    size: p.size,
    proof: p.proof.map(b64),
    root: b64(p.root),
    checkpoint: p.checkpoint ?? '',
  };
}

function checkpointReply(cp: SignedCheckpoint | undefined) {
  return cp ? { size: cp.size, root: b64(cp.root), note: cp.note } : null;
}

function witnessRound(s: LedgerState, ctx: ActorContext): void {
  const core = s.core;
  if (!core || s.witnesses.size === 0) return;
  const latest = core.ledger.latestCheckpoint();
  if (!latest) return;
  for (const [key, w] of s.witnesses) {
    if (w.inFlight || w.refusedSize === latest.size) continue;
    if (w.cosignedSize === latest.size) continue;
    const oldSize = w.knownSize ?? 0;
    if (oldSize > latest.size) {
      w.refusedSize = latest.size;
      onAlert(s, {
        kind: 'witness-refused',
        witness: key,
        size: latest.size,
        status: 409,
        error: 'WitnessRollbackError',
        reason: `the witness cosigned size ${oldSize}, beyond this ledger's ${latest.size}: the ledger was rolled back`,
      });
      continue;
    }
    let proof: string[] = [];
    if (oldSize > 0 && oldSize < latest.size) {
      proof = core.ledger.proveConsistency(oldSize, latest.size).proof.map(b64);
    }
    w.inFlight = true;
    const gen = s.gen;
    const size = latest.size;
    ctx
      .ask(
        w.ref,
        'addCheckpoint',
        { oldSize: String(oldSize), proof, checkpoint: latest.note },
        { timeout: s.args.witnessTimeoutMs ?? 5_000 },
      )
      .then(
        (reply: unknown) => {
          // Checked here: an answer that is not a witness reply must not leave the slot busy.
          const r = WitnessReplySchema.safeParse(reply);
          return r.success
            ? { reply: r.data }
            : { error: `not a witness reply: ${r.error.issues[0]?.message ?? 'malformed'}` };
        },
        (err: unknown) => ({
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        }),
      )
      .then((answer) => {
        if (s.gen === gen) ctx.tell(ctx.self, 'witnessed', { gen, witness: key, size, ...answer });
      });
  }
}

async function witnessAnswered(
  s: LedgerState,
  ctx: ActorContext,
  key: string,
  size: number,
  reply: WitnessReply | undefined,
  error: string | undefined,
): Promise<void> {
  const w = s.witnesses.get(key);
  if (!w) return;
  w.inFlight = false;
  if (error !== undefined || !reply) {
    w.lastError = error ?? 'no reply';
    ctx.log.warn({ witness: key, error: w.lastError }, 'witness unreachable');
    return;
  }
  if (!reply.ok) {
    w.lastError = `${reply.status} ${reply.error}: ${reply.message}`;
    if (reply.status === 409 && reply.error === 'WitnessConflictError' && reply.knownSize) {
      // Stale old size: resend from what the witness holds (next tick).
      w.knownSize = Number(reply.knownSize);
      if (w.knownSize <= size) return;
    }
    w.refusedSize = size;
    onAlert(s, {
      kind: 'witness-refused',
      witness: key,
      size,
      status: reply.status,
      error: reply.error,
      reason: reply.message,
    });
    return;
  }
  const cp = s.core?.ledger.latestCheckpoint();
  const ours = cp && cp.size === size ? cp.note : undefined;
  if (!ours) return; // a newer checkpoint came meanwhile: the next round cosigns that
  try {
    const lines = witnessLines(ours, reply.note, reply.vkeys);
    await storeWitnessed(s.args.dir, ours, lines, reply.vkeys);
  } catch (err) {
    w.lastError = `bad cosignature: ${(err as Error).message}`;
    ctx.log.error({ witness: key, err }, 'witness answer rejected');
    return;
  }
  w.knownSize = size;
  w.cosignedSize = size;
  w.lastError = undefined;
  s.cosignedSize = Math.max(s.cosignedSize, size);
  announce(s, { kind: 'cosigned', size, witness: key });
}

/**
 * Read the next batch outside the handler: while the stream has nothing new the actor is idle
 * (asks are answered at once, the system can be quiescent). The batch comes back as `records`.
 */
function beginRead(s: LedgerState, ctx: ActorContext): void {
  const core = s.core;
  if (!core || s.reading) return;
  s.reading = true;
  const gen = s.gen;
  const self = ctx.self;
  core.read(s.args.fetchWaitMs ?? 1000).then(
    (records) => {
      if (s.gen === gen) ctx.tell(self, 'records', { gen, records });
    },
    (err: unknown) => {
      if (s.gen === gen) {
        ctx.tell(self, 'readFailed', {
          gen,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    },
  );
}

/** A stream error: retry with backoff, logging the first and then every 20th. */
function streamTrouble(s: LedgerState, ctx: ActorContext, err: Error): void {
  s.streamFailures++;
  s.lastStreamError = err.message;
  const delay = Math.min(5_000, 100 * 2 ** Math.min(s.streamFailures, 6));
  if (s.streamFailures === 1 || s.streamFailures % 20 === 0) {
    ctx.log.warn({ err: err.message, retryInMs: delay }, 'audit stream unreadable; retrying');
  }
  ctx.timers.once('pull', delay, 'pull', { gen: s.gen });
}

function announceHalt(s: LedgerState, ctx: ActorContext, core: StreamLedger): void {
  if (s.haltAnnounced || !core.halted) return;
  s.haltAnnounced = true;
  const h = core.halted;
  ctx.log.error(
    { halt: h.kind, seq: String(h.seq), reason: h.reason },
    'ledger halted: nothing more is appended until a person restarts it; reads go on',
  );
  announce(s, { kind: 'halted', halt: h.kind, seq: String(h.seq), reason: h.reason });
}

const Empty = z.object({}).strict();
const PullMsg = z.object({ gen: z.number().int() }).strict();

const StatusReply = z
  .object({
    origin: z.string(),
    dir: z.string(),
    stream: z.string(),
    size: z.number(),
    root: z.string(),
    cursor: z.string(),
    checkpoint: z.object({ size: z.number(), root: z.string(), note: z.string() }).nullable(),
    cosignedSize: z.number(),
    halted: z.object({ kind: z.string(), seq: z.string(), reason: z.string() }).nullable(),
    started: z.boolean(),
    counts: z.record(z.string(), z.number()),
    alerts: z.number(),
    streamError: z.string().nullable(),
    witnesses: z.array(
      z.object({
        witness: z.string(),
        cosignedSize: z.number(),
        lastError: z.string().nullable(),
      }),
    ),
  })
  .strict();

const CheckpointReply = z.object({ size: z.number(), root: z.string(), note: z.string() });

const ProofReply = z.object({
  index: z.number(),
  size: z.number(),
  leafHash: z.string(),
  proof: z.array(z.string()),
  root: z.string(),
  checkpoint: z.string(),
});

const ConsistencyReply = z.object({
  oldSize: z.number(),
  size: z.number(),
  proof: z.array(z.string()),
  root: z.string(),
  checkpoint: z.string(),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const LedgerActor = defineActor({
  type: 'ledger',
  state: (args: LedgerActorArgs): LedgerState => {
    const a = checkLedgerArgs(args);
    return {
      key: args as object,
      args: a,
      gen: ++generation,
      core: undefined,
      ctx: undefined,
      witnesses: new Map(),
      cosignedSize: 0,
      streamFailures: 0,
      lastStreamError: undefined,
      haltAnnounced: false,
      alerts: 0,
      reading: false,
    };
  },
  tells: {
    pull: PullMsg,
    records: z
      .object({
        gen: z.number().int(),
        records: z.custom<StreamRecord[]>((v) => Array.isArray(v), 'stream records'),
      })
      .strict(),
    readFailed: z.object({ gen: z.number().int(), error: z.string() }).strict(),
    tick: Empty,
    witnessed: z
      .object({
        gen: z.number().int(),
        witness: z.string(),
        size: z.number().int(),
        reply: WitnessReplySchema.optional(),
        error: z.string().optional(),
      })
      .strict(),
  },
  asks: {
    status: { request: Empty, reply: StatusReply },
    checkpoint: { request: Empty, reply: CheckpointReply },
    prove: {
      request: z.object({ index: z.number().int().nonnegative() }).strict(),
      reply: ProofReply,
    },
    consistency: {
      request: z.object({ oldSize: z.number().int().nonnegative() }).strict(),
      reply: ConsistencyReply,
    },
  },
  async onStart(s, ctx) {
    s.ctx = ctx;
    const left = openFollowers.get(s.key);
    if (left) {
      openFollowers.delete(s.key);
      await left.close().catch(() => {});
    }
    const a = s.args;
    const ledger = await openLedger(a.dir, {
      origin: a.origin,
      ...(a.keys ? { keys: a.keys } : {}),
      ...(a.keysDir ? { keysDir: a.keysDir } : {}),
      ...(a.onStep ? { onStep: a.onStep } : {}),
    });
    s.core = StreamLedger.create(ledger, a.stream, {
      maxRecords: a.maxRecords ?? 256,
      onAlert: (alert) => onAlert(s, alert),
    });
    openFollowers.set(s.key, s.core);
    const witnessed = readWitnessed(a.dir);
    if (witnessed !== undefined) {
      const m = /^[^\n]*\n(\d+)\n/.exec(witnessed);
      if (m) s.cosignedSize = Number(m[1]);
    }
    for (const w of a.witnesses ?? []) {
      const ref = typeof w === 'string' ? { system: ctx.system, path: w } : w;
      s.witnesses.set(`${ref.system}:${ref.path}`, {
        ref,
        knownSize: undefined,
        cosignedSize: 0,
        inFlight: false,
        refusedSize: undefined,
        lastError: undefined,
      });
    }
    ctx.timers.repeat('checkpoint', a.checkpointIntervalMs ?? 1000, 'tick', {});
    ctx.tell(ctx.self, 'pull', { gen: s.gen });
  },
  async onStop(s) {
    await closeCore(s);
  },
  handle: {
    async pull(s, m, ctx) {
      if (m.gen !== s.gen || !s.core || s.reading) return;
      const core = s.core;
      if (!core.started) {
        try {
          await core.check();
        } catch (err) {
          if (!(err instanceof AuditStreamError)) {
            await closeCore(s);
            throw err;
          }
          streamTrouble(s, ctx, err);
          return;
        }
        if (core.halted) {
          announceHalt(s, ctx, core);
          return;
        }
      }
      beginRead(s, ctx);
    },
    async records(s, m, ctx) {
      if (m.gen !== s.gen || !s.core) return;
      s.reading = false;
      const core = s.core;
      if (s.streamFailures > 0) ctx.log.info('audit stream readable again');
      s.streamFailures = 0;
      s.lastStreamError = undefined;
      try {
        await core.commit(m.records);
      } catch (err) {
        // The ledger itself failed (I/O): close it so the restart can reopen and recover.
        await closeCore(s);
        throw err;
      }
      if (core.halted) {
        announceHalt(s, ctx, core);
        return;
      }
      beginRead(s, ctx);
    },
    readFailed(s, m, ctx) {
      if (m.gen !== s.gen || !s.core) return;
      s.reading = false;
      streamTrouble(s, ctx, new AuditStreamError(m.error));
    },
    async tick(s, _m, ctx) {
      const core = s.core;
      if (!core) return;
      const cp = await core.checkpointIfDue();
      if (cp) {
        announce(s, {
          kind: 'checkpoint',
          size: cp.size,
          root: b64(cp.root),
          cursor: String(core.cursor),
        });
        s.args.onCheckpoint?.(cp);
      }
      witnessRound(s, ctx);
    },
    async witnessed(s, m, ctx) {
      if (m.gen !== s.gen) return;
      await witnessAnswered(s, ctx, m.witness, m.size, m.reply, m.error);
    },
    status(s, _m, ctx) {
      const core = coreFor(s, ctx);
      if (!core) return;
      const l = core.ledger;
      const h = core.halted;
      ctx.reply({
        origin: l.origin,
        dir: l.dir,
        stream: core.stream.name,
        size: l.size,
        root: b64(l.root),
        cursor: String(l.lastStreamSeq),
        checkpoint: checkpointReply(l.latestCheckpoint()),
        cosignedSize: s.cosignedSize,
        halted: h ? { kind: h.kind, seq: String(h.seq), reason: h.reason } : null,
        started: core.started,
        counts: { ...core.counts },
        alerts: s.alerts,
        streamError: s.lastStreamError ?? null,
        witnesses: [...s.witnesses].map(([witness, w]) => ({
          witness,
          cosignedSize: w.cosignedSize,
          lastError: w.lastError ?? null,
        })),
      });
    },
    async checkpoint(s, _m, ctx) {
      const core = coreFor(s, ctx);
      if (!core) return;
      const l = core.ledger;
      if (core.unsigned) {
        // At most one checkpoint a second: wait out the rest of the interval.
        const wait = l.nextCheckpointAt() - Date.now();
        if (wait > 0) await sleep(Math.min(wait + 5, 2_000));
      }
      const cp = (await core.checkpointIfDue()) ?? l.latestCheckpoint() ?? (await l.checkpoint());
      announce(s, {
        kind: 'checkpoint',
        size: cp.size,
        root: b64(cp.root),
        cursor: String(core.cursor),
      });
      ctx.reply(checkpointReply(cp)!);
      witnessRound(s, ctx);
    },
    prove(s, m, ctx) {
      const p = proofFor(s, ctx, (ledger) => ledger.proveInclusion(m.index));
      if (!p) return;
      ctx.reply({ index: p.index, leafHash: b64(p.leafHash), ...proofOnWire(p) });
    },
    consistency(s, m, ctx) {
      const p = proofFor(s, ctx, (ledger) => ledger.proveConsistency(m.oldSize));
      if (!p) return;
      ctx.reply({ oldSize: p.oldSize, ...proofOnWire(p) });
    },
  },
});

export type LedgerProtocol = NonNullable<(typeof LedgerActor)['__protocol']>;
