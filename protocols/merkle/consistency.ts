import { MerkleProofError, MerkleRangeError } from './errors.ts';
import { type HashSource, rangeRoot } from './hash-source.ts';
import { equalHashes, HASH_SIZE, hashChildren } from './hasher.ts';
import { climb, type ProofWalk, stepUp } from './proof-walk.ts';
import { isPowerOfTwo, proofU64, splitPoint, toU64 } from './size.ts';

/**
 * The RFC 9162 §2.1.4.1 consistency proof PROOF(oldSize, D[0:newSize]).
 * Needs 0 < oldSize ≤ newSize; equal sizes give an empty proof.
 */
export function consistencyProof(
  source: HashSource,
  oldSize: number | bigint,
  newSize: number | bigint,
): Uint8Array[] {
  const m = toU64(oldSize, 'old size');
  const n = toU64(newSize, 'new size');
  if (m === 0n) throw new MerkleRangeError('no consistency proof exists from the empty tree');
  if (m > n) throw new MerkleRangeError(`old size ${m} is beyond new size ${n}`);
  const proof: Uint8Array[] = [];
  const sub = (rel: bigint, start: bigint, width: bigint, whole: boolean): void => {
    if (rel === width) {
      if (!whole) proof.push(rangeRoot(source, start, start + width));
      return;
    }
    const k = splitPoint(width);
    if (rel <= k) {
      sub(rel, start, k, whole);
      proof.push(rangeRoot(source, start + k, start + width));
    } else {
      sub(rel - k, start + k, width - k, false);
      proof.push(rangeRoot(source, start, start + k));
    }
  };
  sub(m, 0n, n, true);
  return proof;
}

/**
 * Verify that the tree of `newSize` with `newRoot` extends the tree of `oldSize` with `oldRoot`
 * (RFC 9162 §2.1.4.2, bigint arithmetic). Equal sizes need an empty proof and equal roots; an old
 * size of 0 is refused, as in transparency-dev/merkle (callers treat "nothing seen yet" apart).
 */
export function verifyConsistency(
  oldSize: number | bigint,
  newSize: number | bigint,
  proof: readonly Uint8Array[],
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
): void {
  const m = proofU64(oldSize, 'old size');
  const n = proofU64(newSize, 'new size');
  if (m > n) throw new MerkleProofError(`old size ${m} is beyond new size ${n}`);
  if (m === 0n)
    throw new MerkleProofError('a consistency proof from the empty tree is meaningless');
  if (m === n) {
    // RFC 9162 §2.1.4.2: an empty path and equal roots, whatever their length (as in
    // transparency-dev/merkle); no hashing happens, so no length is assumed.
    if (proof.length !== 0) throw new MerkleProofError('equal sizes need an empty proof');
    if (!equalHashes(oldRoot, newRoot)) {
      throw new MerkleProofError(`two different roots for the same size ${m}`);
    }
    return;
  }
  if (oldRoot.length !== HASH_SIZE || newRoot.length !== HASH_SIZE) {
    throw new MerkleProofError('roots must be 32-byte hashes');
  }
  for (const p of proof) {
    if (p.length !== HASH_SIZE) throw new MerkleProofError('proof hash is not 32 bytes');
  }
  if (proof.length === 0) throw new MerkleProofError('empty consistency proof');
  const path = isPowerOfTwo(m) ? [oldRoot, ...proof] : proof;
  const at: ProofWalk = { fn: m - 1n, sn: n - 1n };
  while ((at.fn & 1n) === 1n) climb(at);
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (at.sn === 0n) throw new MerkleProofError('consistency proof is too long');
    if (stepUp(at)) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
    } else {
      sr = hashChildren(sr, c);
    }
  }
  if (at.sn !== 0n) throw new MerkleProofError('consistency proof is too short');
  if (!equalHashes(fr, oldRoot)) {
    throw new MerkleProofError(`consistency proof does not lead to the root of size ${m}`);
  }
  if (!equalHashes(sr, newRoot)) {
    throw new MerkleProofError(`consistency proof does not lead to the root of size ${n}`);
  }
}
