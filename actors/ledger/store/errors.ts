import { NamedError } from '../../../protocols/named-error.ts';

/** Where in a ledger directory something is wrong: a file and, when it applies, a record index. */
export interface LedgerLocation {
  file: string;
  /** Entry index for leaves.log and payloads.log; record index for checkpoints.log. */
  index?: number;
}

/** A ledger directory whose non-derived files contradict each other or themselves. */
export class LedgerCorruptError extends NamedError {
  constructor(
    message: string,
    readonly location: LedgerLocation,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * On open, the tree root at the last signed size is not the root that checkpoint signed: the log
 * was rewritten after signing. Nothing must be appended or signed; investigate with verifyLedger.
 */
export class SignedRootMismatchError extends NamedError {
  constructor(
    message: string,
    readonly signedSize: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An append the ledger refuses: a sequence that would leave a gap or repeat one, bad fields. */
export class LedgerAppendError extends NamedError {}

/** checkpoint() called again within the minimum interval while the log grew; retry later. */
export class CheckpointTooSoonError extends NamedError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** A write or fsync failed: the ledger closed itself; reopen it to recover from the last commit. */
export class LedgerIOError extends NamedError {}

/** The ledger was closed (by close() or after an I/O failure). */
export class LedgerClosedError extends NamedError {
  constructor(message = 'ledger is closed', options?: ErrorOptions) {
    super(message, options);
  }
}

/** Key files that are missing, malformed, or do not match the ledger's signed checkpoints. */
export class LedgerKeyError extends NamedError {}

/** A proof request outside the tree (index ≥ size, size beyond the log, no checkpoint yet). */
export class LedgerProofError extends NamedError {}

/** Another live process has the ledger open for writing (one writer per directory). */
export class LedgerLockedError extends NamedError {
  constructor(
    message: string,
    readonly pid: number,
  ) {
    super(message);
  }
}
