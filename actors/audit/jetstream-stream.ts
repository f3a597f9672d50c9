import {
  type ConsumerMessages,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { NamedError } from '../../protocols/named-error.ts';
import { InvalidArgument, parseOptions } from '../../runtime/index.ts';
import { type AuditStream, AuditStreamError, type StreamRecord } from './audit-stream.ts';
import { auditStreamName, auditSubjects, isSubjectToken } from './audit-subject.ts';

/**
 * The audit stream on JetStream: `TROUPE_AUDIT_<sys>` capturing `troupe.<sys>.audit.>`.
 *
 * Settings and why (docs/audit.md, "The stream"):
 *  - file storage, limits retention with no limits: nothing ages out behind the ledger's back;
 *  - deny_delete and deny_purge: no API call removes an audited message;
 *  - duplicate_window (default 10 min) longer than any publisher's retry horizon, so a retried
 *    batch is stored once;
 *  - allow_direct (2.9+): cheap reads for tools; the ledger itself reads by sequence through the
 *    stream leader (STREAM.MSG.GET), because a direct get may be answered by a replica that has not
 *    caught up and a gap must never be declared on a stale answer.
 * Nothing newer than nats-server 2.9 is used (no metadata, compression, first_seq, subject
 * transforms or per-message TTL).
 */

export const AuditStreamSettingsSchema = z
  .object({
    /** How long the stream remembers a Nats-Msg-Id (default 10 minutes). */
    duplicateWindowMs: z
      .number()
      .int()
      .min(100)
      .max(7 * 24 * 3600 * 1000)
      .optional(),
    /** Stream replicas (1, 3 or 5 in a cluster); default 1. */
    replicas: z.number().int().min(1).max(5).optional(),
    /** Refuse message deletion (default true; a test stream turns it off to make a gap). */
    denyDelete: z.boolean().optional(),
    /** Refuse purges (default true). */
    denyPurge: z.boolean().optional(),
  })
  .strict();

export type AuditStreamSettings = z.input<typeof AuditStreamSettingsSchema>;

/** The audit stream exists with settings weaker than asked: it is not changed behind anyone's back. */
export class AuditStreamConfigError extends NamedError {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

function parseSettings(s: unknown): z.output<typeof AuditStreamSettingsSchema> {
  return parseOptions(AuditStreamSettingsSchema, s ?? {}, 'audit stream settings');
}

/** [major, minor, patch] of a server version string. */
export function serverVersion(nc: NatsConnection): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(nc.info?.version ?? '0.0.0');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

function atLeast(v: [number, number, number], want: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== want[i]) return v[i]! > want[i]!;
  return true;
}

const NS_PER_MS = 1_000_000;
/** A reader quiet this long while the stream has more is presumed lost (see checkStall). */
const STALL_MS = 2_000;

export interface AuditStreamInfo {
  name: string;
  subjects: string[];
  duplicateWindowMs: number;
  denyDelete: boolean;
  denyPurge: boolean;
  replicas: number;
  created: boolean;
}

/**
 * Create the system's audit stream, or check the one that exists: an existing stream must capture
 * the audit subjects with file storage, deny delete and purge where asked, and a duplicate window
 * at least as long as asked; otherwise AuditStreamConfigError names the field (it is never
 * loosened or rewritten here).
 */
export async function ensureAuditStream(
  nc: NatsConnection,
  system: string,
  settings?: AuditStreamSettings,
): Promise<AuditStreamInfo> {
  if (typeof system !== 'string' || !isSubjectToken(system)) {
    throw new InvalidArgument(
      `audit stream: system must be a subject token (got ${String(system)})`,
    );
  }
  const s = parseSettings(settings);
  const name = auditStreamName(system);
  const subject = auditSubjects(system);
  const windowMs = s.duplicateWindowMs ?? 600_000;
  const denyDelete = s.denyDelete ?? true;
  const denyPurge = s.denyPurge ?? true;
  const replicas = s.replicas ?? 1;
  const jsm = await jetstreamManager(nc);
  let cfg: StreamConfig | undefined;
  let created = false;
  try {
    cfg = (await jsm.streams.info(name)).config;
  } catch (err) {
    if ((err as Error).name !== 'StreamNotFoundError') {
      throw new AuditStreamError(`cannot read stream ${name}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  if (!cfg) {
    const want: Partial<StreamConfig> & { name: string } = {
      name,
      subjects: [subject],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.New,
      num_replicas: replicas,
      duplicate_window: windowMs * NS_PER_MS,
      deny_delete: denyDelete,
      deny_purge: denyPurge,
    };
    // allow_direct came with 2.9.0; older servers would refuse the field.
    if (atLeast(serverVersion(nc), [2, 9, 0])) want.allow_direct = true;
    cfg = (await jsm.streams.add(want)).config;
    created = true;
  }
  const bad = (field: string, why: string): never => {
    throw new AuditStreamConfigError(`stream ${name} exists with ${why}`, field);
  };
  if (!cfg.subjects?.includes(subject))
    bad('subjects', `subjects ${cfg.subjects?.join(',')} (not ${subject})`);
  if (cfg.storage !== StorageType.File) bad('storage', `${cfg.storage} storage, not file`);
  if (denyDelete && !cfg.deny_delete) bad('deny_delete', 'message deletion allowed');
  if (denyPurge && !cfg.deny_purge) bad('deny_purge', 'purges allowed');
  const have = Math.floor((cfg.duplicate_window ?? 0) / NS_PER_MS);
  if (have < windowMs) bad('duplicate_window', `a duplicate window of ${have} ms (< ${windowMs})`);
  return {
    name,
    subjects: cfg.subjects ?? [],
    duplicateWindowMs: have,
    denyDelete: cfg.deny_delete === true,
    denyPurge: cfg.deny_purge === true,
    replicas: cfg.num_replicas,
    created,
  };
}

/**
 * Nanoseconds since the epoch from a Go RFC 3339 timestamp with up to 9 fraction digits, as the
 * server writes them (e.g. 2026-11-25T13:27:33.069204289Z). Exact: the same instant a consumer
 * delivery carries in its reply subject, which the ledger compares.
 */
export function parseTimestampNs(ts: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(ts);
  if (!m) throw new AuditStreamError(`unreadable stream timestamp ${ts}`);
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(ms)) throw new AuditStreamError(`unreadable stream timestamp ${ts}`);
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

function fromJsMsg(m: JsMsg): StreamRecord {
  return {
    seq: BigInt(m.seq),
    subject: m.subject,
    msgId: m.headers?.get('Nats-Msg-Id') ?? '',
    payload: m.data,
    timestampNs: m.timestampNanos,
  };
}

interface Reader {
  next: bigint;
  /** When the reader last received a message (or started). */
  lastProgress: number;
  queue: StreamRecord[];
  messages: ConsumerMessages;
  done: boolean;
  error: unknown;
  notify: (() => void) | undefined;
  space: (() => void) | undefined;
}

export const JetStreamReadOptionsSchema = z
  .object({
    /** Messages the ordered consumer asks for at once and this reader holds at most. */
    bufferMessages: z.number().int().min(1).max(100_000).optional(),
    /** JetStream API timeout (ms). */
    timeoutMs: z.number().int().min(100).max(120_000).optional(),
  })
  .strict();

export type JetStreamReadOptions = z.input<typeof JetStreamReadOptionsSchema>;

/**
 * Read a system's audit stream on JetStream with an ordered consumer (ephemeral, no acks) that
 * starts where the caller's cursor says: the server's ack floor is never trusted (it has been
 * seen ahead of the stream after power loss, nats-server#5412).
 */
export function jetStreamAuditStream(
  nc: NatsConnection,
  system: string,
  options?: JetStreamReadOptions,
): AuditStream {
  if (typeof system !== 'string' || !isSubjectToken(system)) {
    throw new InvalidArgument(
      `audit stream: system must be a subject token (got ${String(system)})`,
    );
  }
  const o = parseOptions(JetStreamReadOptionsSchema, options ?? {}, 'audit stream read options');
  return new JetStreamAuditStream(nc, auditStreamName(system), o);
}

class JetStreamAuditStream implements AuditStream {
  private readonly js: JetStreamClient;
  private jsm: JetStreamManager | undefined;
  private reader: Reader | undefined;
  private readonly buffer: number;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    readonly name: string,
    o: z.output<typeof JetStreamReadOptionsSchema>,
  ) {
    this.buffer = o.bufferMessages ?? 128;
    this.timeoutMs = o.timeoutMs ?? 5_000;
    this.js = jetstream(nc, { timeout: this.timeoutMs });
  }

  private async manager(): Promise<JetStreamManager> {
    this.jsm ??= await jetstreamManager(this.nc, { timeout: this.timeoutMs });
    return this.jsm;
  }

  async lastSeq(): Promise<bigint> {
    try {
      const info = await (await this.manager()).streams.info(this.name);
      return BigInt(info.state.last_seq);
    } catch (err) {
      throw new AuditStreamError(`stream ${this.name}: ${(err as Error).message}`, { cause: err });
    }
  }

  async get(seq: bigint): Promise<StreamRecord | undefined> {
    let m: Awaited<ReturnType<JetStreamManager['streams']['getMessage']>>;
    try {
      m = await (await this.manager()).streams.getMessage(this.name, { seq: Number(seq) });
    } catch (err) {
      throw new AuditStreamError(`stream ${this.name} message ${seq}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!m) return undefined;
    return {
      seq: BigInt(m.seq),
      subject: m.subject,
      msgId: m.header.get('Nats-Msg-Id') ?? '',
      payload: m.data,
      timestampNs: parseTimestampNs(m.timestamp),
    };
  }

  private async stopReader(): Promise<void> {
    const r = this.reader;
    this.reader = undefined;
    if (!r) return;
    r.done = true;
    r.space?.();
    try {
      await r.messages.close();
    } catch {
      // Already gone with its connection.
    }
  }

  private async startReader(from: bigint): Promise<Reader> {
    await this.stopReader();
    let messages: ConsumerMessages;
    try {
      const consumer = await this.js.consumers.get(this.name, { opt_start_seq: Number(from) });
      messages = await consumer.consume({ max_messages: this.buffer });
    } catch (err) {
      throw new AuditStreamError(`cannot read stream ${this.name}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const r: Reader = {
      next: from,
      lastProgress: Date.now(),
      queue: [],
      messages,
      done: false,
      error: undefined,
      notify: undefined,
      space: undefined,
    };
    this.reader = r;
    void (async () => {
      try {
        for await (const m of messages) {
          if (r.done) break;
          r.queue.push(fromJsMsg(m));
          r.lastProgress = Date.now();
          r.notify?.();
          // Hold the consumer back while the ledger catches up: nothing piles up in memory.
          while (r.queue.length >= this.buffer && !r.done) {
            await new Promise<void>((res) => {
              r.space = res;
            });
          }
        }
      } catch (err) {
        r.error = err;
      } finally {
        r.done = true;
        r.notify?.();
      }
    })();
    return r;
  }

  private chain: Promise<unknown> = Promise.resolve();

  /** Fetches run one at a time: a second caller waits for the first instead of racing it. */
  fetch(from: bigint, max: number, waitMs: number): Promise<StreamRecord[]> {
    const run = this.chain.then(() => this.fetchNow(from, max, waitMs));
    this.chain = run.catch(() => {});
    return run;
  }

  private async fetchNow(from: bigint, max: number, waitMs: number): Promise<StreamRecord[]> {
    if (this.closed) throw new AuditStreamError(`stream ${this.name}: reader closed`);
    let r = this.reader;
    if (!r || r.next !== from || (r.done && r.queue.length === 0)) r = await this.startReader(from);
    if (r.queue.length === 0 && waitMs > 0) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, waitMs);
        r!.notify = () => {
          clearTimeout(t);
          res();
        };
      });
      r.notify = undefined;
    }
    if (r.queue.length === 0 && !r.done) await this.checkStall(r);
    if (r.queue.length === 0) {
      if (r.done && r.error) {
        const err = r.error;
        await this.stopReader();
        throw new AuditStreamError(`stream ${this.name}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      return [];
    }
    const out = r.queue.splice(0, max);
    r.next = out[out.length - 1]!.seq + 1n;
    r.space?.();
    r.space = undefined;
    return out;
  }

  private lastStallCheck = 0;

  /**
   * An ordered consumer lives on one server, in memory: a server restart takes it away and the
   * client only notices after missed heartbeats (tens of seconds). When the reader has been
   * quiet for a while, ask the stream whether it holds more than the reader has seen; if so,
   * start a fresh reader at the cursor.
   */
  private async checkStall(r: Reader): Promise<void> {
    const now = Date.now();
    if (now - r.lastProgress < STALL_MS || now - this.lastStallCheck < STALL_MS / 2) return;
    this.lastStallCheck = now;
    let last: bigint;
    try {
      last = await this.lastSeq();
    } catch {
      return; // The broker is away; the next fetch tries again.
    }
    if (last >= r.next && this.reader === r) await this.startReader(r.next);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopReader();
  }
}
