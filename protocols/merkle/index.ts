export {
  appendLeaf,
  appendNode,
  type CompactRange,
  checkRange,
  cloneRange,
  emptyRange,
  type NodeSink,
  rangeNodes,
  rangeRootHash,
  rangeWidth,
} from './compact-range.ts';
export { consistencyProof, verifyConsistency } from './consistency.ts';
export { MerkleProofError, MerkleRangeError } from './errors.ts';
export {
  type HashSource,
  leafHashes,
  memoryHashSource,
  rangeRoot,
  treeRoot,
} from './hash-source.ts';
export { EMPTY_ROOT, equalHashes, HASH_SIZE, hashChildren, hashLeaf, sha256 } from './hasher.ts';
export { inclusionProof, rootFromInclusionProof, verifyInclusion } from './inclusion.ts';
export { toU64 } from './size.ts';
