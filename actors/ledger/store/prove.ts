import { existsSync, readFileSync } from 'node:fs';
import { parseCheckpoint, parseNote } from '../../../protocols/checkpoint/index.ts';
import {
  consistencyProof,
  type HashSource,
  inclusionProof,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../../protocols/merkle/index.ts';
import { LedgerCorruptError, LedgerProofError } from './errors.ts';
import { readLastCheckpoint } from './history.ts';
import { ledgerPaths } from './layout.ts';
import { LevelFiles } from './level-cache.ts';
import { parseMeta } from './meta.ts';
import { decodeState } from './state-record.ts';
import type { ConsistencyProof, InclusionProof, SignedCheckpoint } from './types.ts';

/** The tree a proof is made against: its size and root, and the signed note when there is one. */
export interface ProofTarget {
  size: number;
  root: Uint8Array;
  checkpoint?: string;
}

/**
 * Build a proof from the tree cache and check it against the signed root inside `make`: any
 * failure means the cache is damaged (run verifyLedger), never a proof that will not verify.
 */
function checkedAgainstCache<T>(make: () => T): T {
  try {
    return make();
  } catch (err) {
    throw new LedgerCorruptError(
      'the tree cache disagrees with the signed root; run verifyLedger',
      { file: 'cache' },
      { cause: err },
    );
  }
}

/**
 * An inclusion proof from the tree cache, checked against the target root before it is returned:
 * a damaged cache yields an error (run verifyLedger), never a proof that will not verify.
 */
export function inclusionFromCache(
  levels: HashSource,
  index: number,
  target: ProofTarget,
): InclusionProof {
  const n = target.size;
  if (!Number.isSafeInteger(index) || index < 0 || index >= n) {
    throw new LedgerProofError(`entry ${index} is not in the tree of ${n}`);
  }
  const { leafHash, proof } = checkedAgainstCache(() => {
    const leafHash = levels.node(0, BigInt(index));
    const proof = inclusionProof(levels, index, n);
    verifyInclusion(leafHash, index, n, proof, target.root);
    return { leafHash, proof };
  });
  return {
    index,
    size: n,
    leafHash,
    proof,
    root: target.root,
    ...(target.checkpoint ? { checkpoint: target.checkpoint } : {}),
  };
}

/** A consistency proof from the tree cache to the target, checked like inclusionFromCache. */
export function consistencyFromCache(
  levels: HashSource,
  oldSize: number,
  target: ProofTarget,
): ConsistencyProof {
  const n = target.size;
  if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > n) {
    throw new LedgerProofError(`old size ${oldSize} must be in [1, ${n}]`);
  }
  const proof = checkedAgainstCache(() => {
    const proof = consistencyProof(levels, oldSize, n);
    verifyConsistency(oldSize, n, proof, treeRoot(levels, oldSize), target.root);
    return proof;
  });
  return {
    oldSize,
    size: n,
    proof,
    root: target.root,
    ...(target.checkpoint ? { checkpoint: target.checkpoint } : {}),
  };
}

/** Read-only proofs for a ledger directory (another process may be appending to it). */
export interface LedgerReader {
  readonly origin: string;
  /** The newest signed checkpoint when the reader opened, if any. */
  readonly checkpoint: SignedCheckpoint | undefined;
  proveInclusion(index: number): InclusionProof;
  proveConsistency(oldSize: number): ConsistencyProof;
  close(): void;
}

/**
 * Open a ledger directory for proofs against its newest checkpoint. Signatures are not checked
 * here: the proof carries the signed note, and the client checks it with keys it trusts.
 */
export function openLedgerReader(dir: string): LedgerReader {
  const paths = ledgerPaths(dir);
  if (!existsSync(paths.meta) || !existsSync(paths.state)) {
    throw new LedgerProofError(`${dir} is not a ledger directory (no LEDGER or state file)`);
  }
  const { origin } = parseMeta(readFileSync(paths.meta, 'utf8'));
  const state = decodeState(new Uint8Array(readFileSync(paths.state)));
  const checkpoint = readLastCheckpoint(
    paths.checkpoints,
    state.checkpointsBytes,
    (note): SignedCheckpoint => {
      const cp = parseCheckpoint(parseNote(note).text);
      return { note, size: Number(cp.size), root: cp.root };
    },
  );
  if (!existsSync(paths.cacheDir)) {
    throw new LedgerProofError('the tree cache is missing: open the ledger or run verifyLedger');
  }
  const levels = new LevelFiles(paths.cacheDir);
  const target = (): ProofTarget => {
    if (!checkpoint) throw new LedgerProofError('no checkpoint has been signed yet');
    return { size: checkpoint.size, root: checkpoint.root, checkpoint: checkpoint.note };
  };
  return {
    origin,
    checkpoint,
    proveInclusion: (index) => inclusionFromCache(levels, index, target()),
    proveConsistency: (oldSize) => consistencyFromCache(levels, oldSize, target()),
    close: () => levels.close(),
  };
}

/** An inclusion proof for entry `index` against the directory's newest checkpoint. */
export function proveInclusion(dir: string, index: number): InclusionProof {
  return withReader(dir, (reader) => reader.proveInclusion(index));
}

/** A consistency proof from `oldSize` to the directory's newest checkpoint. */
export function proveConsistency(dir: string, oldSize: number): ConsistencyProof {
  return withReader(dir, (reader) => reader.proveConsistency(oldSize));
}

/** Open a reader on `dir` for one use, closed whatever happens. */
function withReader<T>(dir: string, use: (reader: LedgerReader) => T): T {
  const reader = openLedgerReader(dir);
  try {
    return use(reader);
  } finally {
    reader.close();
  }
}
