import { LeafFormatError } from './errors.ts';
import {
  emptyLayout,
  joinU64,
  LEAF_HEAD_BYTES,
  LEAF_MAX_BYTES,
  LEAF_VERSION,
  LeafTypeCode,
  scanLeaf,
} from './leaf-scan.ts';

export type LeafType = keyof typeof LeafTypeCode;

/**
 * A v1 audit-ledger leaf. Hashed as canonical bytes (never JSON); the payload itself lives outside
 * the tree, bound by a salted commitment so it can be erased without breaking any proof.
 */
export interface Leaf {
  type: LeafType;
  /** event: the message's stream sequence; gap: the first missing one; control: the cursor. */
  streamSeq: bigint;
  /** event: the JetStream timestamp in ns; gap: the last missing sequence; control: its kind. */
  aux: bigint;
  /** The stream the sequence belongs to (e.g. TROUPE_AUDIT_dev). */
  stream: string;
  /** event: the NATS subject; gap: empty; control: its topic (e.g. key-rotation). */
  subject: string;
  /** The Nats-Msg-Id header, empty when there was none. */
  msgId: string;
  /** The previous leaf's RFC 9162 leaf hash, zeros at index 0: the plain hash chain. */
  prevLeafHash: Uint8Array;
  /** commitPayload(salt, payload); zeros for a gap. */
  payloadCommit: Uint8Array;
}

const TYPE_NAMES: readonly LeafType[] = ['event', 'gap', 'control'];
const U64_MAX = (1n << 64n) - 1n;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function stringBytes(s: string, what: string): Uint8Array {
  const b = utf8.encode(s);
  // A lone surrogate would encode as U+FFFD and no longer round-trip.
  if (strictUtf8.decode(b) !== s) throw new LeafFormatError(`${what} is not valid Unicode text`);
  if (b.length > 0xffff) throw new LeafFormatError(`${what} is longer than 65,535 bytes`);
  return b;
}

/** Encode a leaf to its canonical bytes; throws LeafFormatError for anything decode would refuse. */
export function encodeLeaf(leaf: Leaf): Uint8Array {
  const code = LeafTypeCode[leaf.type];
  if (code === undefined) throw new LeafFormatError(`unknown leaf type ${String(leaf.type)}`);
  for (const [v, what] of [
    [leaf.streamSeq, 'stream sequence'],
    [leaf.aux, 'aux'],
  ] as const) {
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) {
      throw new LeafFormatError(`${what} must be a u64 bigint`);
    }
  }
  if (leaf.prevLeafHash.length !== 32 || leaf.payloadCommit.length !== 32) {
    throw new LeafFormatError('leaf hashes must be 32 bytes');
  }
  const stream = stringBytes(leaf.stream, 'stream');
  const subject = stringBytes(leaf.subject, 'subject');
  const msgId = stringBytes(leaf.msgId, 'message id');
  const len = LEAF_HEAD_BYTES + 6 + stream.length + subject.length + msgId.length + 64;
  if (len > LEAF_MAX_BYTES) throw new LeafFormatError(`leaf would be ${len} bytes, over 65,535`);
  const out = new Uint8Array(len);
  const view = new DataView(out.buffer);
  view.setUint8(0, LEAF_VERSION);
  view.setUint8(1, code);
  view.setBigUint64(2, leaf.streamSeq);
  view.setBigUint64(10, leaf.aux);
  let p = LEAF_HEAD_BYTES;
  for (const s of [stream, subject, msgId]) {
    view.setUint16(p, s.length);
    out.set(s, p + 2);
    p += 2 + s.length;
  }
  out.set(leaf.prevLeafHash, p);
  out.set(leaf.payloadCommit, p + 32);
  const reason = scanLeaf(out, 0, len, emptyLayout());
  if (reason) throw new LeafFormatError(`cannot encode leaf: ${reason}`);
  return out;
}

/** Decode canonical v1 leaf bytes strictly: no trailing bytes, bad lengths, versions or types. */
export function decodeLeaf(bytes: Uint8Array): Leaf {
  const at = emptyLayout();
  const reason = scanLeaf(bytes, 0, bytes.length, at);
  if (reason) throw new LeafFormatError(reason);
  return {
    type: TYPE_NAMES[at.type]!,
    streamSeq: joinU64(at.seqHi, at.seqLo),
    aux: joinU64(at.auxHi, at.auxLo),
    stream: strictUtf8.decode(bytes.subarray(at.streamStart, at.subjectStart - 2)),
    subject: strictUtf8.decode(bytes.subarray(at.subjectStart, at.msgIdStart - 2)),
    msgId: strictUtf8.decode(bytes.subarray(at.msgIdStart, at.msgIdEnd)),
    prevLeafHash: bytes.slice(at.prevHashStart, at.prevHashStart + 32),
    payloadCommit: bytes.slice(at.commitStart, at.commitStart + 32),
  };
}
