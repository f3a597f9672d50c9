import { NamedError } from '../../protocols/named-error.ts';
/** One message as the audit stream delivered it. */
export interface StreamRecord {
  /** The stream sequence (JetStream's, 1-based). */
  seq: bigint;
  subject: string;
  /** Nats-Msg-Id, or '' when the publisher set none. */
  msgId: string;
  payload: Uint8Array;
  /** The stream's own timestamp for the message, in ns. */
  timestampNs: bigint;
}

/**
 * The audit stream as the ledger reads it: a sequence of messages numbered from 1, which the
 * ledger walks with its own cursor. Two implementations: JetStream (`jetstream-stream.ts`) and
 * the embedded local file (`actors/ledger/local-stream.ts`), with the same sequence semantics.
 *
 * A stream may skip sequences (a deleted or lost message): `fetch` then jumps, and `get` of a
 * skipped sequence gives undefined. It never yields the same sequence twice in one fetch session
 * and never goes backwards.
 */
export interface AuditStream {
  /** The stream's name, written in every ledger leaf. */
  readonly name: string;
  /** The highest sequence the stream holds (0 when empty). */
  lastSeq(): Promise<bigint>;
  /** One message by sequence, or undefined when the stream does not hold it. */
  get(seq: bigint): Promise<StreamRecord | undefined>;
  /**
   * Messages with sequence ≥ `from`, in order, at most `max`; waits up to `waitMs` for the first
   * one and returns [] if none came. Successive calls continue where the last one ended when
   * `from` says so, and restart from `from` otherwise.
   */
  fetch(from: bigint, max: number, waitMs: number): Promise<StreamRecord[]>;
  /** Stop reading (the stream itself, and anything publishing to it, stays). */
  close(): Promise<void>;
}

/** How a sink hands a batch to the stream. */
export interface AuditPublisher {
  /** Largest message body the stream accepts. */
  readonly maxPayload: number;
  /** Store one message; a repeat of a recent msgId returns the first copy's sequence. */
  publish(
    subject: string,
    data: Uint8Array,
    msgId: string,
  ): Promise<{ seq: bigint; duplicate: boolean }>;
  /** Whether a failed publish may succeed if tried again (leader election, timeout, reconnect). */
  retryable(err: unknown): boolean;
}

/** The audit stream could not be read: a broker or file error the ledger retries later. */
export class AuditStreamError extends NamedError {}
