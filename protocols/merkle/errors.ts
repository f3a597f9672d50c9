/** A Merkle proof that does not verify, or arguments no proof can exist for. */
export class MerkleProofError extends Error {
  override readonly name = 'MerkleProofError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A size or index outside what a log can hold (negative, fractional, ≥ 2^64). */
export class MerkleRangeError extends RangeError {
  override readonly name = 'MerkleRangeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
