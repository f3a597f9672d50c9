import { MerkleRangeError } from './errors.ts';
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from './hasher.ts';

/**
 * The compact range [0, size): the roots of the perfect subtrees that the set bits of `size`
 * describe, largest (leftmost) first. At most 64 hashes, and enough to append and to compute the
 * root. Sizes are JS numbers here (≤ 2^53 − 1, far beyond what one ledger directory holds);
 * arithmetic avoids 32-bit bitwise operators on purpose.
 */
export interface CompactRange {
  size: number;
  hashes: Uint8Array[];
}

/** Called for every node a merge completes: level, index within the level, hash. */
export type NodeSink = (level: number, index: number, hash: Uint8Array) => void;

export function emptyRange(): CompactRange {
  return { size: 0, hashes: [] };
}

/** A copy whose hashes array can be changed without touching the original (hashes are shared). */
export function cloneRange(range: CompactRange): CompactRange {
  return { size: range.size, hashes: range.hashes.slice() };
}

/** The number of hashes a compact range of `size` holds: the count of set bits. */
export function rangeWidth(size: number): number {
  let width = 0;
  for (let s = size; s > 0; s = Math.floor(s / 2)) width += s % 2;
  return width;
}

/** Check that a frontier read from storage has the shape its size demands. */
export function checkRange(range: CompactRange): void {
  if (!Number.isSafeInteger(range.size) || range.size < 0) {
    throw new MerkleRangeError(`compact range size ${range.size} is not a safe integer`);
  }
  if (range.hashes.length !== rangeWidth(range.size)) {
    throw new MerkleRangeError(
      `compact range of size ${range.size} needs ${rangeWidth(range.size)} hashes, has ${range.hashes.length}`,
    );
  }
  for (const h of range.hashes) {
    if (h.length !== HASH_SIZE) throw new MerkleRangeError('compact range hash is not 32 bytes');
  }
}

/**
 * Append the root of a perfect subtree of 2^level leaves (level 0: one leaf hash) to the range,
 * in place. The range's size must be a multiple of 2^level. `sink` hears every node the merge
 * completes (not the appended node itself).
 */
export function appendNode(
  range: CompactRange,
  level: number,
  hash: Uint8Array,
  sink?: NodeSink,
): void {
  const width = 2 ** level;
  if (range.size % width !== 0) {
    throw new MerkleRangeError(`cannot append a level-${level} node at size ${range.size}`);
  }
  const newSize = range.size + width;
  if (!Number.isSafeInteger(newSize)) throw new MerkleRangeError('compact range size overflow');
  let s = range.size / width;
  let h = hash;
  let lvl = level;
  while (s % 2 === 1) {
    const left = range.hashes.pop()!;
    h = hashChildren(left, h);
    lvl++;
    sink?.(lvl, newSize / 2 ** lvl - 1, h);
    s = (s - 1) / 2;
  }
  range.hashes.push(h);
  range.size = newSize;
}

/** Append one leaf hash (see appendNode). */
export function appendLeaf(range: CompactRange, leafHash: Uint8Array, sink?: NodeSink): void {
  appendNode(range, 0, leafHash, sink);
}

/** The RFC 9162 root of the leaves the range covers. */
export function rangeRootHash(range: CompactRange): Uint8Array {
  const hs = range.hashes;
  if (hs.length === 0) return EMPTY_ROOT;
  let root = hs[hs.length - 1]!;
  for (let i = hs.length - 2; i >= 0; i--) root = hashChildren(hs[i]!, root);
  return root;
}

/**
 * The (level, index) of each perfect subtree a compact range of `size` holds, left to right: the
 * nodes to read from a store to rebuild a frontier.
 */
export function rangeNodes(size: number): Array<{ level: number; index: number }> {
  const out: Array<{ level: number; index: number }> = [];
  let start = 0;
  for (let level = 63; level >= 0; level--) {
    const width = 2 ** level;
    if (size - start >= width) {
      out.push({ level, index: start / width });
      start += width;
    }
  }
  return out;
}
