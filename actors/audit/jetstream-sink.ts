import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { InvalidArgument } from '../../runtime/index.ts';
import { type AuditSinkOptions, BatchingAuditSink, parseSinkOptions } from './audit-sink.ts';
import type { AuditPublisher } from './audit-stream.ts';
import { auditStreamName } from './audit-subject.ts';

/** Failures that pass: a leader election (503), a timeout, a reconnect in progress. */
const RETRYABLE = new Set([
  'JetStreamNotEnabled', // every 503 on publish, elections included (DESIGN.md)
  'TimeoutError',
  'NoResponders',
  'RequestError',
  'ConnectionError',
]);

export function isRetryablePublishError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (RETRYABLE.has(err.name)) return true;
  // A JetStream API error the server marks unavailable (no stream leader yet).
  return err.name === 'JetStreamApiError' && (err as Error & { status?: number }).status === 503;
}

/**
 * Publish through JetStream with a Nats-Msg-Id. One attempt per call: the sink owns the retry
 * loop (and its horizon), not the client.
 */
export function jetStreamPublisher(nc: NatsConnection, timeoutMs = 5_000): AuditPublisher {
  const js = jetstream(nc, { timeout: timeoutMs });
  return {
    // Room for the headers (Nats-Msg-Id) under the server's max_payload.
    maxPayload: Math.max(1024, (nc.info?.max_payload ?? 1024 * 1024) - 1024),
    async publish(subject, data, msgId) {
      const ack = await js.publish(subject, data, { msgID: msgId, timeout: timeoutMs });
      return { seq: BigInt(ack.seq), duplicate: ack.duplicate };
    },
    retryable: isRetryablePublishError,
  };
}

export interface JetStreamSinkOptions extends AuditSinkOptions {
  /** Per-attempt publish timeout (ms); default 5 s. */
  publishTimeoutMs?: number;
  /**
   * Check the stream's duplicate window against the retry horizon (default true): a retry after
   * the window could store a batch twice. Needs the stream to exist.
   */
  checkStream?: boolean;
}

/**
 * An audit sink for a system on NATS: batches per actor and tick, publishes to
 * `troupe.<sys>.audit.<node>.<actor>` with a Nats-Msg-Id derived from the event ids, retries
 * across leader elections within a horizon shorter than the stream's duplicate window
 * (see audit-sink.ts for the whole policy).
 */
export async function createJetStreamAuditSink(
  nc: NatsConnection,
  options: JetStreamSinkOptions,
): Promise<BatchingAuditSink> {
  if (typeof nc !== 'object' || nc === null || typeof nc.publish !== 'function') {
    throw new InvalidArgument('a JetStream audit sink needs a NATS connection');
  }
  const { publishTimeoutMs, checkStream, ...rest } = options ?? ({} as JetStreamSinkOptions);
  const o = parseSinkOptions(rest);
  if (
    publishTimeoutMs !== undefined &&
    (!Number.isInteger(publishTimeoutMs) || publishTimeoutMs < 100 || publishTimeoutMs > 120_000)
  ) {
    throw new InvalidArgument('audit sink options: publishTimeoutMs: an integer in [100, 120000]');
  }
  const sink = new BatchingAuditSink(jetStreamPublisher(nc, publishTimeoutMs), rest);
  if (checkStream !== false) {
    const jsm = await jetstreamManager(nc);
    const name = auditStreamName(o.system);
    const info = await jsm.streams.info(name).catch((err: unknown) => {
      throw new InvalidArgument(
        `audit sink: stream ${name} is not there (${(err as Error).message}); create it with ensureAuditStream`,
      );
    });
    const windowMs = Math.floor((info.config.duplicate_window ?? 0) / 1_000_000);
    if (sink.retryHorizonMs >= windowMs) {
      throw new InvalidArgument(
        `audit sink options: retryHorizonMs ${sink.retryHorizonMs} must be below the stream's duplicate window of ${windowMs} ms`,
      );
    }
  }
  return sink;
}
