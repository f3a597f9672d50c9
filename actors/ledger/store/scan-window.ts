import { createHash, hash as nodeHash } from 'node:crypto';
import {
  commitPayloadAt,
  emptyLayout,
  LeafTypeCode,
  scanLeaf,
} from '../../../protocols/ledger/index.ts';
import { rangeNodes } from '../../../protocols/merkle/index.ts';
import { FRAME_OVERHEAD, frameCheck, hashCheck } from './frame.ts';
import { PAYLOAD_HEAD_BYTES, PayloadStatus } from './payload-record.ts';

/**
 * One window of a ledger scan: `count` consecutive entries starting at `firstIndex`, a multiple
 * of a power of two at least `count`, so every subtree the window completes lies inside it and
 * windows can be hashed on separate threads. Pure: bytes in, hashes and findings out.
 */
export interface WindowInput {
  leaves: Uint8Array;
  payloads: Uint8Array;
  firstIndex: number;
  count: number;
  /** Open the salted commitments (verify); open() only checks framing and statuses. */
  checkPayloads: boolean;
}

export interface WindowFailure {
  file: 'leaves.log' | 'payloads.log';
  index: number;
  reason: string;
}

export interface WindowOutput {
  failure?: WindowFailure;
  /** levels[l]: the hashes of the level-l subtrees complete inside the window (l = 0: leaves). */
  levels: Uint8Array[];
  /** The window's compact range, largest subtree first. */
  range: Uint8Array[];
  firstPrev: Uint8Array;
  lastLeafHash: Uint8Array;
  /** Per entry: leaf type code, stream_seq and aux, for the sequence and state checks. */
  types: Uint8Array;
  seqs: BigUint64Array;
  auxs: BigUint64Array;
  erased: number;
  /**
   * Set when every entry is an event and their sequences run first, first + 1, … (all below
   * 2^53): the sequence check then needs one comparison for the whole window.
   */
  run?: { first: number; last: number };
}

function equalAt(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number): boolean {
  for (let i = 0; i < 32; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

function zeroFrom(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

// SHA-256 straight into a destination, no wrapper objects: this loop runs a million times.
const sha256Into: (data: Uint8Array, out: Uint8Array, at: number) => void =
  typeof nodeHash === 'function'
    ? (data, out, at) => out.set(nodeHash('sha256', data, 'buffer'), at)
    : (data, out, at) => out.set(createHash('sha256').update(data).digest(), at);

/** The levels above the leaves, pair by pair: node = SHA-256(0x01 ‖ left ‖ right). */
function buildLevels(levels: Uint8Array[]): void {
  const scratch = new Uint8Array(65);
  scratch[0] = 0x01;
  for (let l = 1; l < levels.length; l++) {
    const below = levels[l - 1]!;
    const here = levels[l]!;
    const n = here.length / 32;
    for (let i = 0; i < n; i++) {
      scratch.set(below.subarray(i * 64, i * 64 + 64), 1);
      sha256Into(scratch, here, i * 32);
    }
  }
}

export function scanWindow(input: WindowInput): WindowOutput {
  const { leaves, payloads, firstIndex, count } = input;
  const levels: Uint8Array[] = [];
  for (let n = count; n >= 1; n = Math.floor(n / 2)) levels.push(new Uint8Array(n * 32));
  const seqs = new BigUint64Array(count);
  const auxs = new BigUint64Array(count);
  const out: WindowOutput = {
    levels,
    range: [],
    firstPrev: new Uint8Array(32),
    lastLeafHash: new Uint8Array(32),
    types: new Uint8Array(count),
    seqs,
    auxs,
    erased: 0,
  };
  const fail = (file: WindowFailure['file'], i: number, reason: string): WindowOutput => {
    out.failure = { file, index: firstIndex + i, reason };
    return out;
  };
  const lv = new DataView(leaves.buffer, leaves.byteOffset, leaves.length);
  const pv = new DataView(payloads.buffer, payloads.byteOffset, payloads.length);
  // seqs/auxs filled from the leaf bytes directly (native little-endian u64 words).
  const seqView = new DataView(seqs.buffer);
  const auxView = new DataView(auxs.buffer);
  const layout = emptyLayout();
  const leafHashes = levels[0]!;
  let lp = 0;
  let pp = 0;
  let simple = count > 0;
  let runFirst = 0;
  for (let i = 0; i < count; i++) {
    // Leaf record: frame, canonical bytes, chain link, hash.
    if (lp + FRAME_OVERHEAD > leaves.length) return fail('leaves.log', i, 'record is cut short');
    const llen = lv.getUint32(lp);
    if (lp + FRAME_OVERHEAD + llen > leaves.length) {
      return fail('leaves.log', i, 'record is cut short');
    }
    const bodyStart = lp + 4;
    const bodyEnd = bodyStart + llen;
    const leafBad = scanLeaf(leaves, bodyStart, bodyEnd, layout, lv);
    if (leafBad) return fail('leaves.log', i, leafBad);
    if (i === 0)
      out.firstPrev.set(leaves.subarray(layout.prevHashStart, layout.prevHashStart + 32));
    else if (!equalAt(leaves, layout.prevHashStart, leafHashes, (i - 1) * 32)) {
      return fail('leaves.log', i, 'prev_leaf_hash is not the hash of the entry before');
    }
    // Leaf hash SHA-256(0x00 ‖ leaf): borrow the length byte before the body for the prefix
    // instead of copying the leaf, then put it back.
    const saved = leaves[bodyStart - 1]!;
    leaves[bodyStart - 1] = 0x00;
    sha256Into(leaves.subarray(bodyStart - 1, bodyEnd), leafHashes, i * 32);
    leaves[bodyStart - 1] = saved;
    if (frameCheck(lv, lp, llen) !== hashCheck(leafHashes, i * 32)) {
      return fail('leaves.log', i, 'record check value is not the leaf hash');
    }
    out.types[i] = layout.type;
    if (simple) {
      const seq = layout.seqHi * 2 ** 32 + layout.seqLo;
      if (i === 0) runFirst = seq;
      simple = layout.type === LeafTypeCode.event && layout.seqHi < 2 ** 21 && seq === runFirst + i;
    }
    seqView.setUint32(i * 8, layout.seqLo, true);
    seqView.setUint32(i * 8 + 4, layout.seqHi, true);
    auxView.setUint32(i * 8, layout.auxLo, true);
    auxView.setUint32(i * 8 + 4, layout.auxHi, true);

    // Payload record: frame, status agreeing with the leaf, commitment or zeros.
    if (pp + FRAME_OVERHEAD > payloads.length)
      return fail('payloads.log', i, 'record is cut short');
    const plen = pv.getUint32(pp);
    if (pp + FRAME_OVERHEAD + plen > payloads.length) {
      return fail('payloads.log', i, 'record is cut short');
    }
    const check = frameCheck(pv, pp, plen);
    if (plen < PAYLOAD_HEAD_BYTES)
      return fail('payloads.log', i, 'record is shorter than its head');
    const ps = pp + 4;
    const pe = ps + plen;
    const status = payloads[ps];
    const isGap = layout.type === LeafTypeCode.gap;
    if (status !== PayloadStatus.present && check !== 0) {
      return fail('payloads.log', i, 'record check value of an empty payload is not 0');
    }
    if (status === PayloadStatus.none) {
      if (!isGap) return fail('payloads.log', i, 'an event or control entry has no payload');
      if (plen !== PAYLOAD_HEAD_BYTES || !zeroFrom(payloads, ps + 1, pe)) {
        return fail('payloads.log', i, 'a gap entry carries salt or payload bytes');
      }
    } else if (isGap) {
      return fail('payloads.log', i, 'a gap entry has a payload record');
    } else if (status === PayloadStatus.erased) {
      if (!zeroFrom(payloads, ps + 1, pe)) {
        return fail('payloads.log', i, 'an erased payload is not all zeros');
      }
      out.erased++;
    } else if (status === PayloadStatus.present) {
      if (check !== hashCheck(leaves, layout.commitStart)) {
        return fail('payloads.log', i, 'record check value is not the leaf commitment');
      }
      if (input.checkPayloads) {
        const c = commitPayloadAt(payloads, ps + 1, pe);
        if (!equalAt(c, 0, leaves, layout.commitStart)) {
          return fail('payloads.log', i, 'payload does not open the leaf commitment');
        }
      }
    } else {
      return fail('payloads.log', i, `unknown payload status ${status}`);
    }
    lp = bodyEnd + 4;
    pp = pe + 4;
  }
  if (lp !== leaves.length) return fail('leaves.log', count, 'bytes after the last record');
  if (pp !== payloads.length) return fail('payloads.log', count, 'bytes after the last record');
  if (count > 0) out.lastLeafHash.set(leafHashes.subarray((count - 1) * 32, count * 32));
  if (simple) out.run = { first: runFirst, last: runFirst + count - 1 };
  buildLevels(levels);
  // The window's compact range: its perfect subtrees, largest first, straight from the levels.
  out.range = rangeNodes(count).map(({ level, index }) =>
    levels[level]!.slice(index * 32, index * 32 + 32),
  );
  return out;
}
