// The audit ledger: storage (store/), stream ingest, the witness, and the running system around
// them: audit sinks, the audit stream (JetStream or the embedded file), the ledger and witness
// actors. docs/audit.md is the guide; docs/ledger-format.md the on-disk format.
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
  type AuditLedger,
  type AuditLedgerOptions,
  AuditLedgerStartError,
  attachAuditSink,
  type LedgerStatus,
  startAuditLedger,
} from './audit-ledger.ts';
export {
  AuditEventTooLargeError,
  AuditOverflowError,
  AuditPublishError,
  type AuditSinkAlert,
  type AuditSinkOptions,
  type AuditSinkStats,
  AuditUnavailableError,
  BatchingAuditSink,
  type LedgerAuditSink,
} from './audit-sink.ts';
export { type AuditPublisher, type AuditStream, AuditStreamError } from './audit-stream.ts';
export {
  auditStreamName,
  auditSubject,
  auditSubjects,
  ledgerEventSubject,
} from './audit-subject.ts';
export {
  createIngester,
  ForkAlarmError,
  type IngestAlert,
  type Ingester,
  type IngesterOptions,
  IngestHaltedError,
  type IngestOutcome,
  IngestRecordError,
  type IngestResult,
  type IngestStore,
  type StreamRecord,
} from './ingest.ts';
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
  ensureAuditStream,
  type JetStreamReadOptions,
  jetStreamAuditStream,
  parseTimestampNs,
} from './jetstream-stream.ts';
export {
  alertData,
  checkLedgerArgs,
  LedgerActor,
  type LedgerActorArgs,
  type LedgerProtocol,
} from './ledger-actor.ts';
export { createLocalAuditSink } from './local-sink.ts';
export {
  LocalAuditStream,
  LocalStreamClosedError,
  LocalStreamCorruptError,
  LocalStreamLockedError,
  type LocalStreamOptions,
  LocalStreamPayloadError,
  openLocalStream,
} from './local-stream.ts';
export * from './store/index.ts';
export {
  type LedgerAlert,
  type LedgerHalt,
  StreamLedger,
  type StreamLedgerOptions,
} from './stream-ledger.ts';
export * from './witness/index.ts';
export {
  AddCheckpointSchema,
  checkWitnessArgs,
  WitnessActor,
  type WitnessActorArgs,
  type WitnessProtocol,
  type WitnessReply,
} from './witness-actor.ts';
export {
  readWitnessed,
  readWitnessVkeys,
  storeWitnessed,
  WITNESS_VKEYS_FILE,
  WITNESSED_FILE,
  witnessLines,
} from './witnessed.ts';
