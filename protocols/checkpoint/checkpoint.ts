import { decodeBase64Strict, encodeBase64 } from './encoding.ts';
import { CheckpointFormatError } from './errors.ts';

/** The body of a C2SP tlog-checkpoint: a log's Merkle tree head at one size. */
export interface Checkpoint {
  origin: string;
  size: bigint;
  root: Uint8Array;
  /** Opaque extension lines (NOT RECOMMENDED by C2SP; ML-DSA cosignatures do not cover them). */
  extensions: string[];
}

const U64_MAX = (1n << 64n) - 1n;

/** The note text of a checkpoint, final newline included. */
export function formatCheckpoint(cp: Checkpoint): string {
  if (cp.origin.length === 0 || cp.origin.includes('\n')) {
    throw new CheckpointFormatError('checkpoint origin must be one non-empty line');
  }
  if (cp.size < 0n || cp.size > U64_MAX) throw new CheckpointFormatError('size out of range');
  if (cp.root.length !== 32) throw new CheckpointFormatError('root must be a 32-byte hash');
  for (const e of cp.extensions) {
    if (e.length === 0 || e.includes('\n')) {
      throw new CheckpointFormatError('extension lines must be single non-empty lines');
    }
  }
  return [cp.origin, cp.size.toString(), encodeBase64(cp.root), ...cp.extensions, ''].join('\n');
}

/** Parse a checkpoint body strictly (c2sp.org/tlog-checkpoint). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new CheckpointFormatError('checkpoint must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new CheckpointFormatError('checkpoint needs origin, size and root');
  const origin = lines[0]!;
  const sizeLine = lines[1]!;
  const rootLine = lines[2]!;
  const extensions = lines.slice(3);
  if (origin.length === 0) throw new CheckpointFormatError('checkpoint origin is empty');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) {
    throw new CheckpointFormatError(`checkpoint size ${JSON.stringify(sizeLine)} is not decimal`);
  }
  const size = BigInt(sizeLine);
  if (size > U64_MAX) throw new CheckpointFormatError('checkpoint size exceeds 2^64 − 1');
  const root = decodeBase64Strict(rootLine);
  if (root?.length !== 32) {
    throw new CheckpointFormatError('checkpoint root is not the base64 of 32 bytes');
  }
  for (const e of extensions) {
    if (e.length === 0) throw new CheckpointFormatError('checkpoint has an empty extension line');
  }
  return { origin, size, root, extensions };
}
