import type { NatsConnection } from '@nats-io/transport-node';
import {
  type Envelope,
  Kind,
  MsgpackWriter,
  writeEnvelopeWithBody,
} from '../../protocols/envelope/index.ts';
import { askBatchReplySubject } from '../../protocols/subjects/index.ts';
import { InvalidArgument, PayloadTooLarge, TransportError, toWireError } from '../errors.ts';
import type { AskBatches } from './ask-batches.ts';
import type { BrokerFaults } from './broker-faults.ts';
import type { TransportHost } from './transport.ts';

interface Batch {
  w: MsgpackWriter;
  count: number;
  /** Correlation ids of asks in this batch: a no-responders status fails them all. */
  corrs: number[] | null;
}

interface Held {
  subject: string;
  data: Uint8Array;
  reply: string | undefined;
}

export const DEFAULT_BATCH = 64 * 1024;
const DEFAULT_HOLD = 8 * 1024 * 1024;

export interface OutboundOptions {
  /** The server's max_payload: no envelope may be larger. */
  readonly maxPayload: number;
  /** Largest batch, at most maxPayload. */
  readonly batchLimit: number;
  /** Bytes held while the broker is unreachable; then the oldest are dropped. */
  readonly holdBytes: number | undefined;
  /** This node's inbox (`<prefix>.<node>`): ask batches are answered under it. */
  readonly inbox: string;
  /** Whether the broker can take a publish now. */
  readonly isUp: () => boolean;
}

/**
 * Outgoing envelopes. Those for the same subject sent in the same tick travel together in one
 * NATS message: the broker and the client pay per NATS message, not per envelope. While the
 * broker is unreachable, whole batches are held (bounded) and published on reconnect.
 */
export class OutboundBatches {
  /** Set when the transport closes: writing to a closed connection is an error. */
  closing = false;
  private batches = new Map<string, Batch>();
  private readonly sizeHint = new Map<string, number>();
  private flushScheduled = false;
  private idCounter = 0;
  private held: Held[] = [];
  private heldBytes = 0;
  private droppedWhileDown = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly host: TransportHost,
    private readonly faults: BrokerFaults,
    private readonly asks: AskBatches,
    private readonly o: OutboundOptions,
  ) {}

  /** Queue one envelope on a subject's batch. Throws before queuing anything that cannot be sent. */
  write(
    subject: string,
    kind: number,
    to: string,
    from: string | null,
    type: string,
    corr: number | null,
    deadline: number,
    trace: string | null,
    hops: number,
    body: unknown,
    expectsReply: boolean,
  ): void {
    if (this.closing && this.nc.isClosed()) throw new TransportError('NATS connection is closed');
    let b = this.batches.get(subject);
    if (b === undefined) {
      // Start at the size this subject's last batch reached: growing by copies is costly.
      b = { w: new MsgpackWriter(this.sizeHint.get(subject) ?? 256), count: 0, corrs: null };
      this.batches.set(subject, b);
      this.scheduleFlush();
    }
    const start = b.w.pos;
    try {
      writeEnvelopeWithBody(
        b.w,
        {
          id: ++this.idCounter,
          kind: kind as Envelope['kind'],
          to,
          from,
          type,
          corr,
          deadline,
          trace,
          hops,
        },
        body,
      );
    } catch (err) {
      b.w.pos = start;
      if (b.count === 0) this.batches.delete(subject);
      throw new InvalidArgument(`cannot send ${type} to ${to}: ${(err as Error).message}`);
    }
    const size = b.w.pos - start;
    if (size > this.o.maxPayload) {
      b.w.pos = start;
      if (b.count === 0) this.batches.delete(subject);
      throw new PayloadTooLarge(size, this.o.maxPayload);
    }
    if (b.w.pos > this.o.batchLimit && b.count > 0) {
      // This envelope would overflow the batch: send the batch without it, start a new one.
      const bytes = b.w.buf.slice(start, b.w.pos);
      b.w.pos = start;
      this.publishBatch(subject, b);
      b = { w: new MsgpackWriter(Math.max(256, bytes.length)), count: 0, corrs: null };
      this.batches.set(subject, b);
      b.w.ensure(bytes.length);
      b.w.buf.set(bytes, 0);
      b.w.pos = bytes.length;
    }
    b.count++;
    if (expectsReply && corr !== null) (b.corrs ??= []).push(corr);
  }

  /** Queue a reply or error envelope back to an asker's node. */
  reply(
    subject: string,
    corr: number,
    kind: number,
    to: string,
    type: string,
    body: unknown,
  ): void {
    try {
      this.write(subject, kind, to, null, type, corr, 0, null, 0, body, false);
    } catch (err) {
      // The reply itself cannot travel (too large, unencodable): tell the asker why instead.
      const w = toWireError(err);
      try {
        this.write(subject, Kind.error, to, null, type, corr, 0, null, 0, w, false);
      } catch {
        // Even the error is too large (a type name near max_payload is echoed back): send it
        // cut short. The asker matches replies by correlation id, not by these fields.
        const short = { code: w.code, message: w.message.slice(0, 512) };
        try {
          this.write(
            subject,
            Kind.error,
            to.slice(0, 256),
            null,
            type.slice(0, 128),
            corr,
            0,
            null,
            0,
            short,
            false,
          );
        } catch (e) {
          this.faults.callbackFailed('reply', undefined, e);
        }
      }
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    void Promise.resolve().then(() => this.flushAll());
  }

  /** Publish every pending batch now. */
  flushAll(): void {
    this.flushScheduled = false;
    const batches = this.batches;
    if (batches.size === 0) return;
    this.batches = new Map();
    for (const [subject, b] of batches) this.publishBatch(subject, b);
  }

  /** Publish one subject's pending batch now (a queue group must see one envelope per message). */
  flushSubject(subject: string): void {
    const b = this.batches.get(subject);
    if (b === undefined) return;
    this.batches.delete(subject);
    this.publishBatch(subject, b);
  }

  private publishBatch(subject: string, b: Batch): void {
    if (b.w.pos > 256) {
      if (this.sizeHint.size > 10_000) this.sizeHint.clear();
      this.sizeHint.set(subject, Math.min(b.w.pos + 512, this.o.batchLimit + 1024));
    } else if (this.sizeHint.has(subject)) this.sizeHint.delete(subject);
    const reply =
      b.corrs === null
        ? undefined
        : askBatchReplySubject(this.o.inbox, this.asks.add(subject, b.corrs));
    this.publishRaw(subject, b.w.buf.subarray(0, b.w.pos), reply);
  }

  private publishRaw(subject: string, data: Uint8Array, reply: string | undefined): void {
    if (!this.o.isUp()) {
      this.hold({ subject, data, reply });
      return;
    }
    try {
      this.nc.publish(subject, data, reply ? { reply } : undefined);
    } catch (err) {
      if (this.nc.isClosed()) {
        this.host.log.error({ subject, err }, 'NATS connection closed: message not sent');
        return;
      }
      this.hold({ subject, data, reply });
    }
  }

  /** While the broker is unreachable, keep outgoing traffic (bounded) and send it on reconnect. */
  private hold(h: Held): void {
    this.held.push(h);
    this.heldBytes += h.data.length;
    const limit = this.o.holdBytes ?? DEFAULT_HOLD;
    while (this.heldBytes > limit && this.held.length > 0) {
      const old = this.held.shift()!;
      this.heldBytes -= old.data.length;
      this.droppedWhileDown++;
      this.host.stats.heldDropped++;
    }
    if (this.droppedWhileDown > 0 && this.droppedWhileDown % 100 === 1) {
      this.host.log.error(
        { dropped: this.droppedWhileDown, holdBytes: limit },
        'NATS unreachable and hold buffer full: oldest outgoing batches dropped',
      );
    }
  }

  /** Connected again: publish what was held, oldest first. */
  releaseHeld(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const h of held) this.publishRaw(h.subject, h.data, h.reply);
  }
}
