import {
  type CompactRange,
  checkRange,
  equalHashes,
  rangeRootHash,
} from '../../../protocols/merkle/index.ts';
import { LedgerCorruptError } from './errors.ts';
import { checkFrame, FRAME_OVERHEAD, frameRecord } from './frame.ts';

/**
 * The commit record: what is durable. Written last in every commit (tmp + rename), so anything in
 * the logs beyond these byte counts is an uncommitted tail that recovery truncates.
 */
export interface StateRecord {
  size: number;
  leavesBytes: number;
  payloadsBytes: number;
  checkpointsBytes: number;
  /** The stream cursor S: the highest stream sequence the leaves account for (0: none yet). */
  lastStreamSeq: bigint;
  /** Leaf hash of entry size − 1 (zeros when empty): the next leaf's prev_leaf_hash. */
  lastLeafHash: Uint8Array;
  root: Uint8Array;
  /** The compact range [0, size). */
  frontier: Uint8Array[];
}

const MAGIC = 0x544c5354; // "TLST"
const VERSION = 1;
const FIXED = 4 + 4 + 5 * 8 + 32 + 32 + 1;

export function encodeState(s: StateRecord): Uint8Array {
  const body = new Uint8Array(FIXED + 32 * s.frontier.length);
  const view = new DataView(body.buffer);
  view.setUint32(0, MAGIC);
  view.setUint32(4, VERSION);
  view.setBigUint64(8, BigInt(s.size));
  view.setBigUint64(16, BigInt(s.leavesBytes));
  view.setBigUint64(24, BigInt(s.payloadsBytes));
  view.setBigUint64(32, BigInt(s.checkpointsBytes));
  view.setBigUint64(40, s.lastStreamSeq);
  body.set(s.lastLeafHash, 48);
  body.set(s.root, 80);
  view.setUint8(112, s.frontier.length);
  for (let i = 0; i < s.frontier.length; i++) body.set(s.frontier[i]!, FIXED + 32 * i);
  return frameRecord(body);
}

function corrupt(reason: string): never {
  throw new LedgerCorruptError(`state: ${reason}`, { file: 'state' });
}

function safe(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(`${what} is beyond 2^53`);
  return Number(v);
}

/** Decode the state file strictly: one intact frame, nothing after it, a self-consistent body. */
export function decodeState(bytes: Uint8Array): StateRecord {
  if (bytes.length < FRAME_OVERHEAD + FIXED) corrupt('file is too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const len = view.getUint32(0);
  if (len + FRAME_OVERHEAD !== bytes.length) corrupt('record length does not match the file');
  const bad = checkFrame(bytes, 0, len);
  if (bad) corrupt(bad);
  const body = new DataView(bytes.buffer, bytes.byteOffset + 4, len);
  if (body.getUint32(0) !== MAGIC || body.getUint32(4) !== VERSION) corrupt('unknown format');
  const count = body.getUint8(112);
  if (len !== FIXED + 32 * count) corrupt('frontier length does not match the record');
  const at = (o: number) => bytes.slice(4 + o, 4 + o + 32);
  const s: StateRecord = {
    size: safe(body.getBigUint64(8), 'size'),
    leavesBytes: safe(body.getBigUint64(16), 'leaves bytes'),
    payloadsBytes: safe(body.getBigUint64(24), 'payloads bytes'),
    checkpointsBytes: safe(body.getBigUint64(32), 'checkpoints bytes'),
    lastStreamSeq: body.getBigUint64(40),
    lastLeafHash: at(48),
    root: at(80),
    frontier: Array.from({ length: count }, (_, i) => at(FIXED + 32 * i)),
  };
  const range: CompactRange = { size: s.size, hashes: s.frontier };
  try {
    checkRange(range);
  } catch (err) {
    throw new LedgerCorruptError(
      'state: frontier does not fit its size',
      { file: 'state' },
      {
        cause: err,
      },
    );
  }
  if (!equalHashes(rangeRootHash(range), s.root)) corrupt('root is not the frontier root');
  if (
    s.size === 0 &&
    (s.leavesBytes !== 0 ||
      s.payloadsBytes !== 0 ||
      s.lastStreamSeq !== 0n ||
      s.lastLeafHash.some((b) => b !== 0))
  ) {
    corrupt('an empty ledger with bytes, a cursor or a last leaf');
  }
  return s;
}

export function emptyState(root: Uint8Array): StateRecord {
  return {
    size: 0,
    leavesBytes: 0,
    payloadsBytes: 0,
    checkpointsBytes: 0,
    lastStreamSeq: 0n,
    lastLeafHash: new Uint8Array(32),
    root,
    frontier: [],
  };
}
