import { MerkleProofError, MerkleRangeError } from './errors.ts';

const U64_LIMIT = 1n << 64n;

/** A tree size or leaf index as a bigint, checked to be an integer in [0, 2^64). */
export function toU64(value: number | bigint, what: string): bigint {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new MerkleRangeError(`${what} must be a non-negative safe integer, got ${value}`);
    }
    return BigInt(value);
  }
  if (value < 0n || value >= U64_LIMIT) {
    throw new MerkleRangeError(`${what} must be in [0, 2^64), got ${value}`);
  }
  return value;
}

/** The largest power of two strictly below n (n ≥ 2): RFC 9162's split point k. */
export function splitPoint(n: bigint): bigint {
  return 1n << BigInt((n - 1n).toString(2).length - 1);
}

/** Whether n is a power of two (n ≥ 1). */
export function isPowerOfTwo(n: bigint): boolean {
  return n > 0n && (n & (n - 1n)) === 0n;
}

/** toU64 for verifiers: a bad size or index is a proof that does not verify. */
export function proofU64(value: number | bigint, what: string): bigint {
  try {
    return toU64(value, what);
  } catch (err) {
    throw new MerkleProofError(`${what} is out of range: ${value}`, { cause: err });
  }
}
