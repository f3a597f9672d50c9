import { InvalidArgument } from '../../runtime/index.ts';
import { type AuditSinkOptions, BatchingAuditSink } from '../audit/index.ts';
import { LocalAuditStream } from './local-stream.ts';

/**
 * The embedded audit sink: the same batching sink as on NATS, publishing into the local file
 * stream. A failed append there is a disk error, not an election: the sink breaks at once (see
 * audit-sink.ts) instead of retrying.
 */
export function createLocalAuditSink(
  stream: LocalAuditStream,
  options: AuditSinkOptions,
): BatchingAuditSink {
  if (!(stream instanceof LocalAuditStream)) {
    throw new InvalidArgument('a local audit sink needs an open LocalAuditStream');
  }
  return new BatchingAuditSink(stream.publisher(), options);
}
