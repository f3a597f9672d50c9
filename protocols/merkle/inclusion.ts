import { MerkleProofError, MerkleRangeError } from './errors.ts';
import { type HashSource, rangeRoot } from './hash-source.ts';
import { equalHashes, HASH_SIZE, hashChildren } from './hasher.ts';
import { type ProofWalk, stepUp } from './proof-walk.ts';
import { proofU64, splitPoint, toU64 } from './size.ts';

/**
 * The RFC 9162 §2.1.3.1 inclusion proof PATH(index, D[0:size]), nearest sibling first.
 * Needs index < size; the source must hold every perfect subtree of the tree of `size`.
 */
export function inclusionProof(
  source: HashSource,
  index: number | bigint,
  size: number | bigint,
): Uint8Array[] {
  const m = toU64(index, 'leaf index');
  const n = toU64(size, 'tree size');
  if (m >= n) throw new MerkleRangeError(`leaf index ${m} is not below tree size ${n}`);
  const path: Uint8Array[] = [];
  const walk = (start: bigint, width: bigint, rel: bigint): void => {
    if (width === 1n) return;
    const k = splitPoint(width);
    if (rel < k) {
      walk(start, k, rel);
      path.push(rangeRoot(source, start + k, start + width));
    } else {
      walk(start + k, width - k, rel - k);
      path.push(rangeRoot(source, start, start + k));
    }
  };
  walk(0n, n, m);
  return path;
}

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or a MerkleProofError when the proof
 * has the wrong length for (index, size) or a hash of the wrong width. Indices and sizes are
 * bigints inside, so trees beyond 2^32 and 2^53 leaves verify correctly.
 */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number | bigint,
  size: number | bigint,
  proof: readonly Uint8Array[],
): Uint8Array {
  const m = proofU64(index, 'leaf index');
  const n = proofU64(size, 'tree size');
  if (m >= n) throw new MerkleProofError(`leaf index ${m} is not below tree size ${n}`);
  if (leafHash.length !== HASH_SIZE) {
    throw new MerkleProofError(`leaf hash is ${leafHash.length} bytes, want ${HASH_SIZE}`);
  }
  const at: ProofWalk = { fn: m, sn: n - 1n };
  let r = leafHash;
  for (const p of proof) {
    if (p.length !== HASH_SIZE) throw new MerkleProofError('proof hash is not 32 bytes');
    if (at.sn === 0n) throw new MerkleProofError('inclusion proof is longer than the tree is deep');
    r = stepUp(at) ? hashChildren(p, r) : hashChildren(r, p);
  }
  if (at.sn !== 0n) throw new MerkleProofError('inclusion proof is shorter than the tree is deep');
  return r;
}

/** Verify an inclusion proof against a root; throws MerkleProofError when it does not hold. */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number | bigint,
  size: number | bigint,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  if (root.length !== HASH_SIZE) throw new MerkleProofError('root is not a 32-byte hash');
  const got = rootFromInclusionProof(leafHash, index, size, proof);
  if (!equalHashes(got, root)) {
    throw new MerkleProofError(
      `inclusion proof for leaf ${index} of ${size} leads to another root`,
    );
  }
}
