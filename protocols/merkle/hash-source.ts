import { MerkleRangeError } from './errors.ts';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hasher.ts';
import { isPowerOfTwo, splitPoint } from './size.ts';

/**
 * Where proofs get their hashes: the root of the perfect subtree at `level` with `index`, covering
 * leaves [index·2^level, (index+1)·2^level). Level 0 is the leaf hashes. A store backs it with its
 * own files; the caller must only be asked for subtrees that are complete in the tree it holds.
 */
export interface HashSource {
  node(level: number, index: bigint): Uint8Array;
}

/**
 * MTH(D[start:end]) for the ranges RFC 9162's recursion produces (start a multiple of the largest
 * power of two not above end − start), fetching one node per perfect piece.
 */
export function rangeRoot(source: HashSource, start: bigint, end: bigint): Uint8Array {
  const n = end - start;
  if (n <= 0n) {
    if (n === 0n) return EMPTY_ROOT;
    throw new MerkleRangeError(`empty or inverted range [${start}, ${end})`);
  }
  if (isPowerOfTwo(n) && start % n === 0n) {
    const level = n.toString(2).length - 1;
    return source.node(level, start >> BigInt(level));
  }
  const k = splitPoint(n);
  return hashChildren(rangeRoot(source, start, start + k), rangeRoot(source, start + k, end));
}

/** The root of a tree of `size` leaves, read from a hash source. */
export function treeRoot(source: HashSource, size: number | bigint): Uint8Array {
  return rangeRoot(source, 0n, BigInt(size));
}

/**
 * A hash source over leaf hashes held in memory: each node is computed on demand and memoised. For
 * tests and small trees; a store should keep interior nodes instead.
 */
export function memoryHashSource(leafHashes: readonly Uint8Array[]): HashSource {
  const memo = new Map<string, Uint8Array>();
  const node = (level: number, index: bigint): Uint8Array => {
    if (level === 0) {
      const leaf = leafHashes[Number(index)];
      if (!leaf)
        throw new MerkleRangeError(`leaf ${index} is beyond the ${leafHashes.length} held`);
      return leaf;
    }
    const key = `${level}:${index}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const h = hashChildren(node(level - 1, index * 2n), node(level - 1, index * 2n + 1n));
    memo.set(key, h);
    return h;
  };
  return { node };
}

/** Leaf hashes for raw leaf inputs, a convenience for tests and vectors. */
export function leafHashes(leaves: readonly Uint8Array[]): Uint8Array[] {
  return leaves.map((l) => hashLeaf(l));
}
