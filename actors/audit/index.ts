// The audit pipeline: how audit events leave a system and become a numbered stream. Sinks batch
// events (audit-sink.ts) in the batch format (audit-batch.ts) onto the audit subjects
// (audit-subject.ts); the stream (JetStream, jetstream-stream.ts) numbers them for the ledger.
// The embedded file stream and its sink live beside the ledger store (actors/ledger/local-*.ts):
// they are built on the store's file primitives. docs/audit.md is the guide.
export {
  AUDIT_BATCH_VERSION,
  AuditBatchError,
  AuditEncodeError,
  auditBatchId,
  decodeAuditBatch,
  encodeAuditBatch,
  encodeAuditEvent,
} from './audit-batch.ts';
export {
  AuditEventTooLargeError,
  AuditOverflowError,
  AuditPublishError,
  type AuditSinkAlert,
  type AuditSinkOptions,
  // The ledger's sink tuning is a pick of these options; it validates them with this schema.
  AuditSinkOptionsSchema,
  type AuditSinkStats,
  AuditUnavailableError,
  BatchingAuditSink,
  type LedgerAuditSink,
} from './audit-sink.ts';
export {
  type AuditPublisher,
  type AuditStream,
  AuditStreamError,
  type StreamRecord,
} from './audit-stream.ts';
export {
  auditStreamName,
  auditSubject,
  auditSubjects,
  ledgerEventSubject,
} from './audit-subject.ts';
export {
  createJetStreamAuditSink,
  isRetryablePublishError,
  type JetStreamSinkOptions,
  jetStreamPublisher,
} from './jetstream-sink.ts';
export {
  AuditStreamConfigError,
  type AuditStreamInfo,
  type AuditStreamSettings,
  // The ledger's options embed the stream settings; it validates them with this schema.
  AuditStreamSettingsSchema,
  ensureAuditStream,
  type JetStreamReadOptions,
  jetStreamAuditStream,
  parseTimestampNs,
} from './jetstream-stream.ts';
