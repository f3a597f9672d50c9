export type { SeqLookup } from './entry-table.ts';
export {
  CheckpointTooSoonError,
  LedgerAppendError,
  LedgerClosedError,
  LedgerCorruptError,
  LedgerIOError,
  LedgerKeyError,
  type LedgerLocation,
  LedgerLockedError,
  LedgerProofError,
  SignedRootMismatchError,
} from './errors.ts';
export { crc32 } from './frame.ts';
export { fsyncDir, writeFileAtomic } from './fs-util.ts';
export {
  ED25519_SKEY_FILE,
  type LedgerKeys,
  ledgerKeysFromSeeds,
  ledgerVerifiers,
  loadOrCreateLedgerKeys,
  loadOrCreateSeed,
  MLDSA44_SKEY_FILE,
} from './keys.ts';
export { type LedgerPaths, ledgerPaths } from './layout.ts';
export type { Ledger } from './ledger.ts';
export { liveLockHolder, lockLedger } from './lock.ts';
export { type OpenLedgerOptions, openLedger } from './open-ledger.ts';
export {
  type LedgerReader,
  openLedgerReader,
  proveConsistency,
  proveInclusion,
} from './prove.ts';
export { readCheckpointNotes, readLedgerEntry } from './read-entry.ts';
export {
  APPEND_STEPS,
  type AppendResult,
  type ConsistencyProof,
  type InclusionProof,
  type LedgerEntry,
  type LedgerStep,
  type SignedCheckpoint,
  type StoredEntry,
  type StoredPayload,
} from './types.ts';
export {
  type VerifyFailure,
  type VerifyOptions,
  type VerifyReport,
  type VerifySuccess,
  verifyLedger,
} from './verify.ts';
