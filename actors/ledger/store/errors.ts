/** Where in a ledger directory something is wrong: a file and, when it applies, a record index. */
export interface LedgerLocation {
  file: string;
  /** Entry index for leaves.log and payloads.log; record index for checkpoints.log. */
  index?: number;
}

/** A ledger directory whose non-derived files contradict each other or themselves. */
export class LedgerCorruptError extends Error {
  override readonly name = 'LedgerCorruptError';
  constructor(
    message: string,
    readonly location: LedgerLocation,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * On open, the tree root at the last signed size is not the root that checkpoint signed: the log
 * was rewritten after signing. Nothing must be appended or signed; investigate with verifyLedger.
 */
export class SignedRootMismatchError extends Error {
  override readonly name = 'SignedRootMismatchError';
  constructor(
    message: string,
    readonly signedSize: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An append the ledger refuses: a sequence that would leave a gap or repeat one, bad fields. */
export class LedgerAppendError extends Error {
  override readonly name = 'LedgerAppendError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** checkpoint() called again within the minimum interval while the log grew; retry later. */
export class CheckpointTooSoonError extends Error {
  override readonly name = 'CheckpointTooSoonError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** A write or fsync failed: the ledger closed itself; reopen it to recover from the last commit. */
export class LedgerIOError extends Error {
  override readonly name = 'LedgerIOError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The ledger was closed (by close() or after an I/O failure). */
export class LedgerClosedError extends Error {
  override readonly name = 'LedgerClosedError';
  constructor(message = 'ledger is closed', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Key files that are missing, malformed, or do not match the ledger's signed checkpoints. */
export class LedgerKeyError extends Error {
  override readonly name = 'LedgerKeyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A proof request outside the tree (index ≥ size, size beyond the log, no checkpoint yet). */
export class LedgerProofError extends Error {
  override readonly name = 'LedgerProofError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Another live process has the ledger open for writing (one writer per directory). */
export class LedgerLockedError extends Error {
  override readonly name = 'LedgerLockedError';
  constructor(
    message: string,
    readonly pid: number,
  ) {
    super(message);
  }
}
