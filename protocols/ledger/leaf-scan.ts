import { isUtf8 } from 'node:buffer';

/** v1 leaf layout (docs/ledger-format.md): fixed head, three u16-prefixed strings, two hashes. */
export const LEAF_VERSION = 1;
/** version u8, type u8, stream_seq u64, aux u64. */
export const LEAF_HEAD_BYTES = 18;
/** The smallest leaf: the head, three empty strings, two hashes. */
export const LEAF_MIN_BYTES = LEAF_HEAD_BYTES + 3 * 2 + 2 * 32;
/** tlog-tiles entry bundles limit a leaf to 65,535 bytes; so do we. */
export const LEAF_MAX_BYTES = 0xffff;

export const LeafTypeCode = { event: 0, gap: 1, control: 2 } as const;

/** Where the fields of a scanned leaf are; filled in place so scanning allocates little. */
export interface LeafLayout {
  type: number;
  /** stream_seq and aux as big-endian u32 halves (no bigint per leaf on the hot path). */
  seqHi: number;
  seqLo: number;
  auxHi: number;
  auxLo: number;
  /** Offsets (into the scanned buffer) of the three strings, their ends, and the two hashes. */
  streamStart: number;
  subjectStart: number;
  msgIdStart: number;
  msgIdEnd: number;
  prevHashStart: number;
  commitStart: number;
}

export function emptyLayout(): LeafLayout {
  return {
    type: 0,
    seqHi: 0,
    seqLo: 0,
    auxHi: 0,
    auxLo: 0,
    streamStart: 0,
    subjectStart: 0,
    msgIdStart: 0,
    msgIdEnd: 0,
    prevHashStart: 0,
    commitStart: 0,
  };
}

/** UTF-8 validity with an ASCII fast path (subjects and ids are nearly always ASCII). */
function validUtf8(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) return isUtf8(buf.subarray(start, end));
  }
  return true;
}

function allZero(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Check that buf[start, end) is exactly one canonical v1 leaf and note where its fields are.
 * Returns undefined when it is, else the reason it is not. The same rules as decodeLeaf, which
 * is built on it, without building strings: the verifier runs this a million times.
 */
export function scanLeaf(
  buf: Uint8Array,
  start: number,
  end: number,
  out: LeafLayout,
  view: DataView = new DataView(buf.buffer, buf.byteOffset, buf.length),
): string | undefined {
  const len = end - start;
  if (len < LEAF_MIN_BYTES) return `leaf is ${len} bytes, shorter than ${LEAF_MIN_BYTES}`;
  if (len > LEAF_MAX_BYTES) return `leaf is ${len} bytes, longer than ${LEAF_MAX_BYTES}`;
  const version = buf[start]!;
  if (version !== LEAF_VERSION) return `unknown leaf version ${version}`;
  const type = buf[start + 1]!;
  if (type > LeafTypeCode.control) return `unknown leaf type ${type}`;
  out.type = type;
  out.seqHi = view.getUint32(start + 2);
  out.seqLo = view.getUint32(start + 6);
  out.auxHi = view.getUint32(start + 10);
  out.auxLo = view.getUint32(start + 14);
  const seqZero = out.seqHi === 0 && out.seqLo === 0;
  const auxBelowSeq = out.auxHi < out.seqHi || (out.auxHi === out.seqHi && out.auxLo < out.seqLo);
  // Three u16-prefixed UTF-8 strings: stream, subject, msg id.
  let p = start + LEAF_HEAD_BYTES;
  for (let i = 0; i < 3; i++) {
    if (p + 2 > end) return 'leaf ends inside a string length';
    const n = view.getUint16(p);
    p += 2;
    if (p + n > end) return 'leaf ends inside a string';
    if (!validUtf8(buf, p, p + n)) return 'leaf string is not UTF-8';
    if (i === 0) out.streamStart = p;
    else if (i === 1) out.subjectStart = p;
    else out.msgIdStart = p;
    p += n;
  }
  if (p + 64 !== end)
    return p + 64 > end ? 'leaf ends inside its hashes' : 'leaf has trailing bytes';
  out.msgIdEnd = p;
  out.prevHashStart = p;
  out.commitStart = p + 32;
  const streamEmpty = out.subjectStart - 2 === out.streamStart;
  const subjectEmpty = out.msgIdStart - 2 === out.subjectStart;
  const msgIdEmpty = out.msgIdEnd === out.msgIdStart;
  switch (type) {
    case LeafTypeCode.event:
      if (seqZero) return 'event leaf has stream sequence 0';
      if (streamEmpty || subjectEmpty) return 'event leaf lacks its stream or subject';
      break;
    case LeafTypeCode.gap:
      if (seqZero || auxBelowSeq) return 'gap leaf range is empty';
      if (streamEmpty) return 'gap leaf lacks its stream';
      if (!subjectEmpty || !msgIdEmpty) return 'gap leaf carries a subject or message id';
      if (!allZero(buf, out.commitStart, out.commitStart + 32)) {
        return 'gap leaf commits to a payload';
      }
      break;
    default:
      if (subjectEmpty) return 'control leaf lacks its topic';
  }
  return undefined;
}

/** A u64 from the two u32 halves scanLeaf reports. */
export function joinU64(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}
