// The audit ledger: storage (store/), stream ingest, the witness, the embedded audit stream (one
// local file, built on the store's primitives) and the ledger and witness actors. The audit
// pipeline it follows (sinks, batches, subjects, the JetStream stream) is actors/audit/, re-exported
// here so the ledger's public face stays whole. docs/audit.md is the guide; docs/ledger-format.md
// the on-disk format.
export {
  AUDIT_BATCH_VERSION,
  AuditBatchError,
  AuditEncodeError,
  AuditEventTooLargeError,
  AuditOverflowError,
  AuditPublishError,
  type AuditPublisher,
  type AuditSinkAlert,
  type AuditSinkOptions,
  type AuditSinkStats,
  type AuditStream,
  AuditStreamConfigError,
  AuditStreamError,
  type AuditStreamInfo,
  type AuditStreamSettings,
  AuditUnavailableError,
  auditBatchId,
  auditStreamName,
  auditSubject,
  auditSubjects,
  BatchingAuditSink,
  createJetStreamAuditSink,
  decodeAuditBatch,
  encodeAuditBatch,
  encodeAuditEvent,
  ensureAuditStream,
  isRetryablePublishError,
  type JetStreamReadOptions,
  type JetStreamSinkOptions,
  jetStreamAuditStream,
  jetStreamPublisher,
  type LedgerAuditSink,
  ledgerEventSubject,
  parseTimestampNs,
  type StreamRecord,
} from '../audit/index.ts';
export {
  type AuditLedger,
  type AuditLedgerOptions,
  AuditLedgerStartError,
  attachAuditSink,
  type LedgerStatus,
  startAuditLedger,
} from './audit-ledger.ts';
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
} from './ingest.ts';
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
