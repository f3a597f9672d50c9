import { NamedError } from '../named-error.ts';

/** A Merkle proof that does not verify, or arguments no proof can exist for. */
export class MerkleProofError extends NamedError {}

/**
 * A size or index outside what a log can hold (negative, fractional, ≥ 2^64). A RangeError, so
 * it cannot extend NamedError; it sets its name the same way.
 */
export class MerkleRangeError extends RangeError {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
