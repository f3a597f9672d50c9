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
  streamSeq: bigint;
  aux: bigint;
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
    streamSeq: 0n,
    aux: 0n,
    streamStart: 0,
    subjectStart: 0,
    msgIdStart: 0,
    msgIdEnd: 0,
    prevHashStart: 0,
    commitStart: 0,
  };
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
): string | undefined {
  const len = end - start;
  if (len < LEAF_MIN_BYTES) return `leaf is ${len} bytes, shorter than ${LEAF_MIN_BYTES}`;
  if (len > LEAF_MAX_BYTES) return `leaf is ${len} bytes, longer than ${LEAF_MAX_BYTES}`;
  const view = new DataView(buf.buffer, buf.byteOffset + start, len);
  const version = view.getUint8(0);
  if (version !== LEAF_VERSION) return `unknown leaf version ${version}`;
  const type = view.getUint8(1);
  if (type > LeafTypeCode.control) return `unknown leaf type ${type}`;
  out.type = type;
  out.streamSeq = view.getBigUint64(2);
  out.aux = view.getBigUint64(10);
  let p = LEAF_HEAD_BYTES;
  const strings: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (p + 2 > len) return 'leaf ends inside a string length';
    const n = view.getUint16(p);
    p += 2;
    if (p + n > len) return 'leaf ends inside a string';
    if (n > 0 && !isUtf8(buf.subarray(start + p, start + p + n))) return 'leaf string is not UTF-8';
    strings.push(start + p, start + p + n);
    p += n;
  }
  if (p + 64 !== len) {
    return p + 64 > len ? 'leaf ends inside its hashes' : 'leaf has trailing bytes';
  }
  out.streamStart = strings[0]!;
  out.subjectStart = strings[2]!;
  out.msgIdStart = strings[4]!;
  out.msgIdEnd = strings[5]!;
  out.prevHashStart = start + p;
  out.commitStart = start + p + 32;
  const streamEmpty = strings[1] === strings[0];
  const subjectEmpty = strings[3] === strings[2];
  const msgIdEmpty = strings[5] === strings[4];
  switch (type) {
    case LeafTypeCode.event:
      if (out.streamSeq === 0n) return 'event leaf has stream sequence 0';
      if (streamEmpty || subjectEmpty) return 'event leaf lacks its stream or subject';
      break;
    case LeafTypeCode.gap:
      if (out.streamSeq === 0n || out.aux < out.streamSeq) return 'gap leaf range is empty';
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
