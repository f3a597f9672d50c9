import type { AuditStream, StreamRecord } from '../audit/index.ts';
import { createIngester, type IngestAlert, type Ingester, type IngestOutcome } from './ingest.ts';
import { CheckpointTooSoonError, type Ledger, type SignedCheckpoint } from './store/index.ts';

/**
 * A ledger following an audit stream: the loop the ledger actor drives, without the actor. It
 * owns the cursor S (the ledger's last stream sequence, from its state record) and never asks the
 * server where to resume:
 *
 *  - at start, it reads message S back and offers it: it must come back a duplicate; other
 *    content is a fork, and a stream that ends below S was rolled back or reset: both halt
 *    appending;
 *  - each step fetches from S + 1 (up to `maxRecords`), asks the stream by sequence for any it
 *    skipped (a skip the stream really has is left for the ingester to record as a GAP entry), and
 *    offers the lot to the ingester: one group commit, fsync'ed before `step` returns;
 *  - a fork (a sequence already recorded, delivered with other content) halts appending for good
 *    (until a human restarts it); reads and proofs go on.
 */

export type LedgerAlert =
  | IngestAlert
  | { kind: 'rollback'; cursor: bigint; streamLastSeq: bigint }
  | { kind: 'start-unverifiable'; seq: bigint; reason: string }
  | {
      kind: 'witness-refused';
      witness: string;
      size: number;
      status: number;
      error: string;
      reason: string;
    };

/** Why appending stopped. */
export interface LedgerHalt {
  kind: 'fork' | 'rollback';
  seq: bigint;
  reason: string;
}

export interface StreamLedgerOptions {
  /** Most stream messages per group commit (default 256). */
  maxRecords?: number;
  /** Most sequences asked for one by one when the stream skips some (default 64 per step). */
  gapProbeLimit?: number;
  onAlert?: (a: LedgerAlert) => void;
  /** Nats-Msg-Ids remembered for retry flags (see IngesterOptions.retryWindow). */
  retryWindow?: number;
}

export interface StepResult {
  /** Stream messages offered in this step (0 when the stream had nothing new). */
  records: number;
  outcomes: IngestOutcome[];
}

export class StreamLedger {
  private readonly ingester: Ingester;
  private readonly maxRecords: number;
  private readonly probeLimit: number;
  private haltedBy: LedgerHalt | undefined;
  private readonly alert: (a: LedgerAlert) => void;
  /** Totals since this follower started. */
  readonly counts = { records: 0, appended: 0, duplicates: 0, gaps: 0, retries: 0, late: 0 };

  private constructor(
    readonly ledger: Ledger,
    readonly stream: AuditStream,
    options: StreamLedgerOptions,
  ) {
    this.maxRecords = options.maxRecords ?? 256;
    this.probeLimit = options.gapProbeLimit ?? 64;
    this.alert = (a) => {
      try {
        options.onAlert?.(a);
      } catch {
        // A listener must not stop the ledger.
      }
    };
    this.ingester = createIngester(ledger, {
      stream: stream.name,
      onAlert: (a) => this.alert(a),
      ...(options.retryWindow === undefined ? {} : { retryWindow: options.retryWindow }),
    });
  }

  /** Attach a ledger to a stream; the start check runs with the first step. */
  static create(
    ledger: Ledger,
    stream: AuditStream,
    options: StreamLedgerOptions = {},
  ): StreamLedger {
    return new StreamLedger(ledger, stream, options);
  }

  /** Attach a ledger to a stream and run the start check now. */
  static async start(
    ledger: Ledger,
    stream: AuditStream,
    options: StreamLedgerOptions = {},
  ): Promise<StreamLedger> {
    const s = new StreamLedger(ledger, stream, options);
    await s.check();
    return s;
  }

  private checked = false;

  /** Whether the start check has run. */
  get started(): boolean {
    return this.checked;
  }

  /** The start check, once (a stream error leaves it to be tried again). */
  async check(): Promise<void> {
    if (this.checked) return;
    await this.startCheck();
    this.checked = true;
  }

  get halted(): LedgerHalt | undefined {
    return this.haltedBy;
  }

  get cursor(): bigint {
    return this.ledger.lastStreamSeq;
  }

  private halt(h: LedgerHalt): void {
    this.haltedBy ??= h;
  }

  private async startCheck(): Promise<void> {
    const s = this.ledger.lastStreamSeq;
    if (s === 0n) return;
    const last = await this.stream.lastSeq();
    if (last < s) {
      this.halt({
        kind: 'rollback',
        seq: s,
        reason: `the stream ends at ${last} but the ledger already accounts for ${s}: it was rolled back or reset`,
      });
      this.alert({ kind: 'rollback', cursor: s, streamLastSeq: last });
      return;
    }
    const msg = await this.stream.get(s);
    if (!msg) {
      const held = this.ledger.findStreamSeq(s);
      if (held.kind !== 'gap') {
        this.alert({
          kind: 'start-unverifiable',
          seq: s,
          reason: 'the stream no longer holds the last recorded message',
        });
      }
      return;
    }
    const res = await this.ingester.offer([msg]);
    this.tally(res.outcomes);
    if (res.fork) this.halt({ kind: 'fork', seq: res.fork.seq, reason: res.fork.reason });
  }

  private tally(outcomes: readonly IngestOutcome[]): void {
    for (const o of outcomes) {
      this.counts.records++;
      if (o.kind === 'appended') {
        this.counts.appended++;
        if (o.gap) this.counts.gaps++;
        if (o.dupOf !== undefined) this.counts.retries++;
      } else if (o.kind === 'late') this.counts.late++;
      else if (o.kind === 'duplicate') this.counts.duplicates++;
    }
  }

  /**
   * One round: read from the cursor (waiting up to `waitMs` for something new), then commit.
   * Nothing is read while halted.
   */
  async step(waitMs: number): Promise<StepResult> {
    if (!this.checked) await this.check();
    return this.commit(await this.read(waitMs));
  }

  /**
   * Read what follows the cursor (waiting up to `waitMs` for the first message), with what the
   * stream skipped filled in where it can: stream I/O only, nothing is written. The actor runs
   * this outside its handlers, so it stays idle (and the system quiescent) while the stream is.
   */
  async read(waitMs: number): Promise<StreamRecord[]> {
    if (this.haltedBy || !this.checked) return [];
    const from = this.ledger.lastStreamSeq + 1n;
    const got = await this.stream.fetch(from, this.maxRecords, waitMs);
    if (got.length === 0) return [];
    return this.fillHoles(from, got);
  }

  /** Offer records read from the cursor: one group commit, fsync'ed before this resolves. */
  async commit(records: readonly StreamRecord[]): Promise<StepResult> {
    if (this.haltedBy || records.length === 0) return { records: 0, outcomes: [] };
    if (!this.checked) throw new Error('commit before the start check');
    const res = await this.ingester.offer(records);
    this.tally(res.outcomes);
    if (res.fork) this.halt({ kind: 'fork', seq: res.fork.seq, reason: res.fork.reason });
    return { records: records.length, outcomes: res.outcomes };
  }

  /** Ask the stream for sequences a fetch jumped over (at most probeLimit per step). */
  private async fillHoles(from: bigint, got: StreamRecord[]): Promise<StreamRecord[]> {
    let expected = from;
    let probes = 0;
    const out: StreamRecord[] = [];
    for (const r of got) {
      while (r.seq > expected && probes < this.probeLimit) {
        probes++;
        const m = await this.stream.get(expected);
        if (m && m.seq === expected) out.push(m);
        expected++;
      }
      out.push(r);
      expected = r.seq + 1n;
    }
    return out;
  }

  /** Whether the tree grew past the last checkpoint. */
  get unsigned(): boolean {
    return this.ledger.size > (this.ledger.latestCheckpoint()?.size ?? 0);
  }

  /** Sign a checkpoint if the tree grew and the cadence allows; otherwise undefined. */
  async checkpointIfDue(): Promise<SignedCheckpoint | undefined> {
    if (!this.unsigned) return undefined;
    try {
      return await this.ledger.checkpoint();
    } catch (err) {
      if (err instanceof CheckpointTooSoonError) return undefined;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.ledger.close();
  }
}
