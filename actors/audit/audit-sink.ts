import { z } from 'zod';
import { NamedError } from '../../protocols/named-error.ts';
import { type AuditEvent, type AuditSink, parseOptions } from '../../runtime/index.ts';
import {
  assembleAuditBatch,
  auditBatchId,
  batchOverhead,
  encodeAuditEvent,
} from './audit-batch.ts';
import type { AuditPublisher } from './audit-stream.ts';
import { auditSubject, isSubjectToken } from './audit-subject.ts';

/**
 * The audit sink both transports share (JetStream in `jetstream-sink.ts`, the embedded file in
 * `local-sink.ts`): events of one actor emitted in the same tick travel as one stream message (a
 * batch, `audit-batch.ts`) whose Nats-Msg-Id is derived from the event ids, so a retry of the same
 * batch is deduplicated by the stream.
 *
 * Order: one batch is in flight at a time, so batches land in the stream in the order they were
 * closed and a retried batch is never overtaken. While one is in flight the next ones fill up:
 * under load the batches grow, the way a group commit does.
 *
 * Failure policy — fail closed, never drop:
 *  - a retryable failure (a JetStream 503 during a leader election, a timeout, a reconnect) is
 *    retried with capped, jittered backoff;
 *  - after `retryHorizonMs` (shorter than the stream's duplicate window, so every retry within it
 *    is still deduplicated) the sink is *stalled*: `flush()` rejects with AuditPublishError and
 *    `emit()` throws AuditUnavailableError, so an agent cannot go on acting unaudited; the sink
 *    keeps every event it holds and keeps trying; the first success un-stalls it (a copy that
 *    lands after the duplicate window is recorded twice by the ledger and flagged `dupOf`);
 *  - more than `maxBufferedBytes` held: `emit()` throws AuditOverflowError;
 *  - a failure that cannot pass (a closed connection, a rejected message, a file error) breaks
 *    the sink for good: `flush()` rejects and `emit()` throws AuditUnavailableError.
 */

/** emit() refused: the sink holds `maxBufferedBytes` already (the stream is slow or gone). */
export class AuditOverflowError extends NamedError {
  constructor(
    readonly bufferedBytes: number,
    readonly maxBufferedBytes: number,
  ) {
    super(
      `audit sink holds ${bufferedBytes} bytes awaiting the stream (limit ${maxBufferedBytes}): event refused`,
    );
  }
}

/** emit() refused: the stream has been unreachable past the retry horizon, or the sink is broken or closed. */
export class AuditUnavailableError extends NamedError {}

/** One event bigger than a stream message can be. */
export class AuditEventTooLargeError extends NamedError {
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`audit event of ${size} bytes does not fit a stream message of ${max}`);
  }
}

/** flush() or close() could not get every event into the stream. */
export class AuditPublishError extends NamedError {
  constructor(
    message: string,
    /** Events emitted but not (yet) stored by the stream. */
    readonly pendingEvents: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type AuditSinkAlert =
  | { kind: 'retrying'; msgId: string; events: number; error: string }
  | { kind: 'stalled'; msgId: string; pendingEvents: number; sinceMs: number; error: string }
  | { kind: 'recovered'; msgId: string; attempts: number; afterMs: number }
  | { kind: 'broken'; pendingEvents: number; error: string };

export interface AuditSinkStats {
  emitted: number;
  /** Events the stream acknowledged. */
  stored: number;
  batches: number;
  /** Acks that said the stream already had the batch (a retry whose first try had landed). */
  duplicateAcks: number;
  retries: number;
  bufferedEvents: number;
  bufferedBytes: number;
  stalled: boolean;
  /** Stream sequence of the last acknowledged batch (0 before any). */
  lastSeq: bigint;
}

export const AuditSinkOptionsSchema = z
  .object({
    /** The system whose audit subjects the sink publishes to. */
    system: z.string().refine(isSubjectToken, 'a subject token: A-Z a-z 0-9 _ -'),
    maxBatchEvents: z.number().int().min(1).max(65_535).optional(),
    maxBatchBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .optional(),
    retryHorizonMs: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600 * 1000)
      .optional(),
    maxBufferedBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024 * 1024)
      .optional(),
    initialBackoffMs: z.number().int().min(1).max(60_000).optional(),
    maxBackoffMs: z.number().int().min(1).max(600_000).optional(),
    onAlert: z
      .custom<(a: AuditSinkAlert) => void>((v) => typeof v === 'function', 'a function')
      .optional(),
    log: z
      .custom<SinkLog>(
        (v) => typeof v === 'object' && v !== null && typeof (v as SinkLog).warn === 'function',
        'a logger with warn/error/info',
      )
      .optional(),
  })
  .strict();

type SinkLog = {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
};

export type AuditSinkOptions = z.input<typeof AuditSinkOptionsSchema>;

/** What every audit sink of the ledger offers beyond the kernel's AuditSink. */
export interface LedgerAuditSink extends AuditSink {
  stats(): AuditSinkStats;
}

export function parseSinkOptions(o: unknown): z.output<typeof AuditSinkOptionsSchema> {
  return parseOptions(AuditSinkOptionsSchema, o, 'audit sink options');
}

interface OpenBatch {
  subject: string;
  encoded: Uint8Array[];
  ids: string[];
  bytes: number;
}

interface Frozen {
  subject: string;
  data: Uint8Array;
  msgId: string;
  events: number;
  firstAttemptAt: number;
  attempts: number;
}

const sleep = (ms: number, timers: Set<NodeJS.Timeout>): Promise<void> =>
  new Promise((res) => {
    const t = setTimeout(() => {
      timers.delete(t);
      res();
    }, ms);
    timers.add(t);
  });

export class BatchingAuditSink implements LedgerAuditSink {
  private readonly system: string;
  private readonly maxEvents: number;
  private readonly maxBytes: number;
  private readonly horizonMs: number;
  private readonly maxBuffered: number;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly onAlert: ((a: AuditSinkAlert) => void) | undefined;
  private readonly log: SinkLog | undefined;
  private readonly open = new Map<string, OpenBatch>();
  private readonly queue: Frozen[] = [];
  private queueHead = 0;
  private readonly subjects = new Map<string, string>();
  private tickScheduled = false;
  private pumping = false;
  private frozenCount = 0;
  private ackedCount = 0;
  private waiters: Array<{ upTo: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stalledSince: number | undefined;
  private broken: Error | undefined;
  private closed = false;
  private readonly s = {
    emitted: 0,
    stored: 0,
    batches: 0,
    duplicateAcks: 0,
    retries: 0,
    bufferedEvents: 0,
    bufferedBytes: 0,
    lastSeq: 0n,
  };

  constructor(
    private readonly publisher: AuditPublisher,
    options: AuditSinkOptions,
    private readonly now: () => number = Date.now,
  ) {
    const o = parseSinkOptions(options);
    this.system = o.system;
    this.maxEvents = o.maxBatchEvents ?? 1000;
    this.maxBytes = Math.min(o.maxBatchBytes ?? 256 * 1024, publisher.maxPayload);
    this.horizonMs = o.retryHorizonMs ?? 120_000;
    this.maxBuffered = o.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.initialBackoff = o.initialBackoffMs ?? 50;
    this.maxBackoff = Math.max(this.initialBackoff, o.maxBackoffMs ?? 2_000);
    this.onAlert = o.onAlert;
    this.log = o.log;
  }

  /** How long one batch is retried before the sink stalls (shorter than the duplicate window). */
  get retryHorizonMs(): number {
    return this.horizonMs;
  }

  private alert(a: AuditSinkAlert): void {
    try {
      this.onAlert?.(a);
    } catch {
      // An alert listener must not break the sink.
    }
  }

  private subjectOf(node: string, actor: string): string {
    const key = `${node}\u0000${actor}`;
    let s = this.subjects.get(key);
    if (s === undefined) {
      if (this.subjects.size > 10_000) this.subjects.clear();
      s = auditSubject(this.system, node, actor);
      this.subjects.set(key, s);
    }
    return s;
  }

  emit(e: AuditEvent): void {
    if (this.closed) throw new AuditUnavailableError('audit sink is closed');
    if (this.broken) {
      throw new AuditUnavailableError(`audit sink is broken: ${this.broken.message}`, {
        cause: this.broken,
      });
    }
    if (this.stalledSince !== undefined) {
      throw new AuditUnavailableError(
        `audit stream unreachable for ${Math.round((this.now() - this.stalledSince) / 1000)} s: event refused`,
      );
    }
    const bytes = encodeAuditEvent(e);
    if (bytes.length + batchOverhead(1) > this.maxBytes) {
      throw new AuditEventTooLargeError(bytes.length + batchOverhead(1), this.maxBytes);
    }
    if (this.s.bufferedBytes + bytes.length > this.maxBuffered) {
      throw new AuditOverflowError(this.s.bufferedBytes, this.maxBuffered);
    }
    const subject = this.subjectOf(e.node, e.actor);
    let b = this.open.get(subject);
    if (
      b &&
      (b.encoded.length >= this.maxEvents ||
        b.bytes + bytes.length + batchOverhead(b.encoded.length + 1) > this.maxBytes)
    ) {
      this.freeze(b);
      b = undefined;
    }
    if (!b) {
      b = { subject, encoded: [], ids: [], bytes: 0 };
      this.open.set(subject, b);
    }
    b.encoded.push(bytes);
    b.ids.push(e.id);
    b.bytes += bytes.length;
    this.s.emitted++;
    this.s.bufferedEvents++;
    this.s.bufferedBytes += bytes.length;
    if (!this.tickScheduled) {
      this.tickScheduled = true;
      setImmediate(() => {
        this.tickScheduled = false;
        this.freezeAll();
      });
    }
  }

  private freeze(b: OpenBatch): void {
    this.open.delete(b.subject);
    const data = assembleAuditBatch(b.encoded);
    this.queue.push({
      subject: b.subject,
      data,
      msgId: auditBatchId(b.ids),
      events: b.encoded.length,
      firstAttemptAt: 0,
      attempts: 0,
    });
    this.frozenCount++;
    if (!this.pumping && !this.broken) {
      this.pumping = true;
      void this.pump();
    }
  }

  private freezeAll(): void {
    for (const b of [...this.open.values()]) this.freeze(b);
  }

  private pending(): number {
    return this.s.bufferedEvents;
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const keep: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.upTo <= this.ackedCount) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  private rejectWaiters(err: Error): void {
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(err);
  }

  private backoffMs(attempt: number): number {
    const base = Math.min(this.maxBackoff, this.initialBackoff * 2 ** Math.min(attempt - 1, 20));
    return Math.round(base * (0.5 + Math.random() * 0.5));
  }

  private async pump(): Promise<void> {
    while (this.queueHead < this.queue.length && !this.broken) {
      const head = this.queue[this.queueHead]!;
      if (head.attempts === 0) head.firstAttemptAt = this.now();
      head.attempts++;
      try {
        const ack = await this.publisher.publish(head.subject, head.data, head.msgId);
        this.queue[this.queueHead] = undefined as unknown as Frozen;
        this.queueHead++;
        if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
          this.queue.splice(0, this.queueHead);
          this.queueHead = 0;
        }
        this.ackedCount++;
        this.s.batches++;
        this.s.stored += head.events;
        this.s.bufferedEvents -= head.events;
        this.s.bufferedBytes -= head.data.length - batchOverhead(head.events);
        if (ack.duplicate) this.s.duplicateAcks++;
        if (ack.seq > this.s.lastSeq) this.s.lastSeq = ack.seq;
        if (head.attempts > 1) {
          const afterMs = this.now() - head.firstAttemptAt;
          this.log?.info(
            { msgId: head.msgId, attempts: head.attempts, afterMs },
            'audit batch stored after retries',
          );
          this.alert({ kind: 'recovered', msgId: head.msgId, attempts: head.attempts, afterMs });
        }
        this.stalledSince = undefined;
        this.settleWaiters();
      } catch (err) {
        const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        if (this.closed || !this.publisher.retryable(err)) {
          this.broken = err instanceof Error ? err : new Error(message);
          this.log?.error(
            { msgId: head.msgId, err: message, pending: this.pending() },
            'audit sink broken',
          );
          this.alert({ kind: 'broken', pendingEvents: this.pending(), error: message });
          this.rejectWaiters(
            new AuditPublishError(
              `audit events not stored: ${message} (${this.pending()} events held)`,
              this.pending(),
              { cause: err },
            ),
          );
          break;
        }
        this.s.retries++;
        if (head.attempts === 1) {
          this.log?.warn(
            { msgId: head.msgId, events: head.events, err: message },
            'audit batch retrying',
          );
          this.alert({ kind: 'retrying', msgId: head.msgId, events: head.events, error: message });
        }
        const since = this.now() - head.firstAttemptAt;
        if (since >= this.horizonMs && this.stalledSince === undefined) {
          this.stalledSince = head.firstAttemptAt;
          this.log?.error(
            { msgId: head.msgId, pending: this.pending(), sinceMs: since, err: message },
            'audit stream unreachable past the retry horizon: audit events refused until it is back',
          );
          this.alert({
            kind: 'stalled',
            msgId: head.msgId,
            pendingEvents: this.pending(),
            sinceMs: since,
            error: message,
          });
          this.rejectWaiters(this.stalledError(err));
        }
        await sleep(this.backoffMs(head.attempts), this.timers);
      }
    }
    this.pumping = false;
  }

  private stalledError(cause?: unknown): AuditPublishError {
    return new AuditPublishError(
      `audit stream unreachable past the ${this.horizonMs} ms retry horizon (${this.pending()} events held)`,
      this.pending(),
      { cause },
    );
  }

  /** Resolves when every event emitted so far is stored by the stream. */
  flush(): Promise<void> {
    this.freezeAll();
    if (this.broken) {
      return Promise.reject(
        new AuditPublishError(`audit sink is broken: ${this.broken.message}`, this.pending(), {
          cause: this.broken,
        }),
      );
    }
    if (this.stalledSince !== undefined) return Promise.reject(this.stalledError());
    if (this.ackedCount >= this.frozenCount) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo: this.frozenCount, resolve, reject });
    });
  }

  /**
   * Flush, then stop. Rejects with AuditPublishError (naming how many events were not stored)
   * when the stream cannot take them; those events are then gone, and said so.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
    }
  }

  stats(): AuditSinkStats {
    return { ...this.s, stalled: this.stalledSince !== undefined };
  }
}
