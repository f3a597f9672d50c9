import type { Leaf } from '../../protocols/ledger/index.ts';
import { commitPayload, LEAF_MAX_BYTES, LEAF_MIN_BYTES } from '../../protocols/ledger/index.ts';
import { equalHashes } from '../../protocols/merkle/index.ts';
import { NamedError } from '../../protocols/named-error.ts';
import type { StreamRecord } from '../audit/index.ts';
import type { AppendResult, LedgerEntry, SeqLookup, StoredEntry } from './store/index.ts';

/** What the ingester did with one record. Ack the stream for every outcome except 'fork'. */
export type IngestOutcome =
  | {
      kind: 'appended';
      seq: bigint;
      index: number;
      /** The stream skipped [first, last] before this record: a GAP entry was written at gapIndex. */
      gap?: { first: bigint; last: bigint; index: number };
      /** An earlier entry with the same Nats-Msg-Id: a publisher retry outside the dedupe window. */
      dupOf?: number;
    }
  | {
      /** A sequence inside a recorded gap arrived after all: recorded once, as a late event. */
      kind: 'late';
      seq: bigint;
      index: number;
      dupOf?: number;
    }
  | {
      /** Redelivery of what entry `index` already holds: dropped. */
      kind: 'duplicate';
      seq: bigint;
      index: number;
      /** False when the payload was erased, so only subject, msg id and time could be compared. */
      payloadChecked: boolean;
    }
  | { kind: 'fork'; seq: bigint; index: number; reason: string };

export type IngestAlert =
  | { kind: 'gap'; first: bigint; last: bigint; index: number }
  | { kind: 'late'; seq: bigint; index: number }
  | { kind: 'retry'; seq: bigint; msgId: string; index: number; dupOf: number }
  | { kind: 'unverifiable-duplicate'; seq: bigint; index: number }
  | { kind: 'fork'; seq: bigint; index: number; reason: string };

/**
 * A stream sequence the ledger already holds, delivered again with other content: the stream (or
 * whoever feeds it) rewrote history. The ingester stops appending; a human must look.
 */
export class ForkAlarmError extends NamedError {
  constructor(
    message: string,
    readonly seq: bigint,
    readonly index: number,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** offer() after a fork alarm: nothing more is appended until the ingester is recreated. */
export class IngestHaltedError extends NamedError {
  constructor(options: { cause: ForkAlarmError }) {
    super(`ingest halted by a fork alarm at stream sequence ${options.cause.seq}`, options);
  }
}

/** A record no stream could have delivered (sequence 0, empty subject, wrong types). */
export class IngestRecordError extends NamedError {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/** The part of a Ledger the ingester uses. */
export interface IngestStore {
  readonly size: number;
  readonly lastStreamSeq: bigint;
  appendBatch(entries: readonly LedgerEntry[]): Promise<AppendResult>;
  findStreamSeq(seq: bigint): SeqLookup;
  entry(index: number): StoredEntry;
  leaves(from?: number): Iterable<{ index: number; leaf: Leaf }>;
}

export interface IngesterOptions {
  /** The stream's name, written in every leaf. */
  stream: string;
  onAlert?: (alert: IngestAlert) => void;
  /**
   * How many recent entries' Nats-Msg-Ids to remember for retry flags (default: all, about
   * 100 bytes an entry). Built from the log when the ingester starts.
   */
  retryWindow?: number;
}

export interface IngestResult {
  /** One outcome per record, in order, up to and including a fork (later records: untouched). */
  outcomes: IngestOutcome[];
  fork?: ForkAlarmError;
}

export interface Ingester {
  /** Turn a batch of stream records into ledger entries: one group commit, then resolve. */
  offer(records: readonly StreamRecord[]): Promise<IngestResult>;
  /** The highest stream sequence the ledger accounts for. */
  readonly cursor: bigint;
  readonly halted: ForkAlarmError | undefined;
}

function checkRecord(r: StreamRecord, i: number, stream: string): void {
  const bad = (why: string) => new IngestRecordError(`record ${i}: ${why}`, i);
  if (typeof r.seq !== 'bigint' || r.seq < 1n || r.seq >= 1n << 64n) {
    throw bad('seq must be a bigint in [1, 2^64)');
  }
  if (typeof r.subject !== 'string' || r.subject.length === 0) throw bad('subject is empty');
  if (typeof r.msgId !== 'string') throw bad('msgId must be a string');
  if (!(r.payload instanceof Uint8Array)) throw bad('payload must be bytes');
  if (typeof r.timestampNs !== 'bigint' || r.timestampNs < 0n || r.timestampNs >= 1n << 64n) {
    throw bad('timestampNs must be a u64 bigint');
  }
  const text =
    Buffer.byteLength(stream) + Buffer.byteLength(r.subject) + Buffer.byteLength(r.msgId);
  if (text > LEAF_MAX_BYTES - LEAF_MIN_BYTES) {
    throw bad(`stream, subject and msg id take ${text} bytes; a leaf holds 65,535 in all`);
  }
}

/**
 * Why a redelivered record differs from what the ledger holds for its sequence, or undefined
 * when it is the same message. "Same" means equal stream, subject, msg id and stream timestamp
 * (all in the leaf in clear) and a payload that opens the leaf's salted commitment with the
 * stored salt. Once a payload is erased only the clear fields can be compared.
 */
function difference(
  r: StreamRecord,
  stored: StoredEntry,
  stream: string,
): { reason?: string; payloadChecked: boolean } {
  const leaf = stored.leaf;
  if (leaf.type !== 'event') return { reason: `entry is a ${leaf.type}`, payloadChecked: false };
  if (leaf.stream !== stream) return { reason: 'stream differs', payloadChecked: false };
  if (leaf.subject !== r.subject) return { reason: 'subject differs', payloadChecked: false };
  if (leaf.msgId !== r.msgId) return { reason: 'message id differs', payloadChecked: false };
  if (leaf.aux !== r.timestampNs) return { reason: 'timestamp differs', payloadChecked: false };
  if (stored.payload.status !== 'present') return { payloadChecked: false };
  const c = commitPayload(stored.payload.salt, r.payload);
  return equalHashes(c, leaf.payloadCommit)
    ? { payloadChecked: true }
    : { reason: 'payload differs', payloadChecked: true };
}

function sameRecord(a: StreamRecord, b: StreamRecord): boolean {
  return (
    a.subject === b.subject &&
    a.msgId === b.msgId &&
    a.timestampNs === b.timestampNs &&
    Buffer.from(a.payload).equals(Buffer.from(b.payload))
  );
}

/**
 * The ledger's stream-ingest state machine (docs/ledger-format.md, "Ingest"): the ledger owns its
 * cursor S and, per record at sequence s, drops an equal redelivery (s ≤ S), raises a fork alarm
 * for a different one, appends s = S + 1, writes one GAP entry for [S + 1, s − 1] before s > S + 1,
 * records a late arrival inside a gap once, and flags a Nats-Msg-Id seen before. It must be the
 * ledger's only writer of stream entries; offers are serialized.
 */
export function createIngester(store: IngestStore, options: IngesterOptions): Ingester {
  const window = options.retryWindow ?? Number.POSITIVE_INFINITY;
  const msgIds = new Map<string, number>();
  const order: Array<{ msgId: string; index: number }> = [];
  let orderHead = 0;
  const remember = (msgId: string, index: number) => {
    if (msgId === '' || msgIds.has(msgId)) return;
    msgIds.set(msgId, index);
    if (Number.isFinite(window)) {
      order.push({ msgId, index });
      while (orderHead < order.length && order[orderHead]!.index < index - window + 1) {
        const old = order[orderHead++]!;
        if (msgIds.get(old.msgId) === old.index) msgIds.delete(old.msgId);
      }
      if (orderHead > 4096 && orderHead * 2 > order.length) {
        order.splice(0, orderHead);
        orderHead = 0;
      }
    }
  };
  const from = Number.isFinite(window) ? Math.max(0, store.size - window) : 0;
  for (const { index, leaf } of store.leaves(from)) {
    if (leaf.type === 'event') remember(leaf.msgId, index);
  }

  let halted: ForkAlarmError | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const alert = (a: IngestAlert) => options.onAlert?.(a);

  const ingestBatch = async (records: readonly StreamRecord[]): Promise<IngestResult> => {
    if (halted) throw new IngestHaltedError({ cause: halted });
    for (let i = 0; i < records.length; i++) checkRecord(records[i]!, i, options.stream);
    const base = store.size;
    let cursor = store.lastStreamSeq;
    const entries: LedgerEntry[] = [];
    const outcomes: IngestOutcome[] = [];
    const alerts: IngestAlert[] = [];
    // Records appended by this batch, for duplicates inside the batch.
    const pending = new Map<bigint, { record: StreamRecord; index: number }>();
    const pendingIds = new Map<string, number>();
    const firstWith = (msgId: string) =>
      msgId === '' ? undefined : (msgIds.get(msgId) ?? pendingIds.get(msgId));
    const append = (r: StreamRecord): { index: number; dupOf?: number } => {
      const index = base + entries.length;
      entries.push({
        type: 'event',
        streamSeq: r.seq,
        timestampNs: r.timestampNs,
        stream: options.stream,
        subject: r.subject,
        msgId: r.msgId,
        payload: r.payload,
      });
      pending.set(r.seq, { record: r, index });
      const dupOf = firstWith(r.msgId);
      if (dupOf !== undefined) {
        alerts.push({ kind: 'retry', seq: r.seq, msgId: r.msgId, index, dupOf });
        return { index, dupOf };
      }
      if (r.msgId !== '') pendingIds.set(r.msgId, index);
      return { index };
    };
    let fork: ForkAlarmError | undefined;

    for (const r of records) {
      if (r.seq > cursor) {
        let gap: { first: bigint; last: bigint; index: number } | undefined;
        if (r.seq > cursor + 1n) {
          gap = { first: cursor + 1n, last: r.seq - 1n, index: base + entries.length };
          entries.push({ type: 'gap', first: gap.first, last: gap.last, stream: options.stream });
          alerts.push({ kind: 'gap', ...gap });
        }
        const { index, dupOf } = append(r);
        cursor = r.seq;
        outcomes.push({
          kind: 'appended',
          seq: r.seq,
          index,
          ...(gap ? { gap } : {}),
          ...(dupOf === undefined ? {} : { dupOf }),
        });
        continue;
      }
      // s ≤ S: a redelivery, a late arrival into a gap, or a fork.
      const mine = pending.get(r.seq);
      let reason: string | undefined;
      let index: number;
      let payloadChecked = true;
      if (mine) {
        index = mine.index;
        if (!sameRecord(mine.record, r)) reason = 'content differs from the delivery just recorded';
      } else {
        const found = store.findStreamSeq(r.seq);
        if (found.kind === 'gap') {
          const { index: at, dupOf } = append(r);
          alerts.push({ kind: 'late', seq: r.seq, index: at });
          outcomes.push({
            kind: 'late',
            seq: r.seq,
            index: at,
            ...(dupOf === undefined ? {} : { dupOf }),
          });
          continue;
        }
        if (found.kind === 'none') {
          index = -1;
          reason = 'the ledger has no entry for a sequence below its cursor';
        } else {
          index = found.index;
          const d = difference(r, store.entry(found.index), options.stream);
          reason = d.reason;
          payloadChecked = d.payloadChecked;
        }
      }
      if (reason) {
        fork = new ForkAlarmError(
          `fork at stream sequence ${r.seq}: ${reason} (entry ${index})`,
          r.seq,
          index,
          reason,
        );
        outcomes.push({ kind: 'fork', seq: r.seq, index, reason });
        alerts.push({ kind: 'fork', seq: r.seq, index, reason });
        break;
      }
      if (!payloadChecked) alerts.push({ kind: 'unverifiable-duplicate', seq: r.seq, index });
      outcomes.push({ kind: 'duplicate', seq: r.seq, index, payloadChecked });
    }

    if (entries.length > 0) {
      const res = await store.appendBatch(entries);
      if (res.firstIndex !== base) {
        throw new Error(
          `ingest expected index ${base}, the ledger gave ${res.firstIndex}: another writer?`,
        );
      }
      for (const [msgId, index] of pendingIds) remember(msgId, index);
    }
    if (fork) halted = fork;
    for (const a of alerts) alert(a);
    return fork ? { outcomes, fork } : { outcomes };
  };

  return {
    offer(records) {
      const run = queue.then(() => ingestBatch(records));
      queue = run.catch(() => {});
      return run;
    },
    get cursor() {
      return store.lastStreamSeq;
    },
    get halted() {
      return halted;
    },
  };
}
