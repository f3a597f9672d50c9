// The audit ledger: storage (store/), stream ingest, and the witness. The ledger actor that
// wires these to JetStream builds on this face only.
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
export * from './store/index.ts';
export * from './witness/index.ts';
