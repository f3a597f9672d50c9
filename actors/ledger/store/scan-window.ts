import {
  commitPayload,
  emptyLayout,
  LeafTypeCode,
  scanLeaf,
} from '../../../protocols/ledger/index.ts';
import { appendLeaf, emptyRange, hashLeaf } from '../../../protocols/merkle/index.ts';
import { checkFrame, FRAME_OVERHEAD } from './frame.ts';
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
}

function equalAt(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number): boolean {
  for (let i = 0; i < 32; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

function zeroFrom(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

export function scanWindow(input: WindowInput): WindowOutput {
  const { leaves, payloads, firstIndex, count } = input;
  const levels: Uint8Array[] = [];
  for (let n = count; n >= 1; n = Math.floor(n / 2)) levels.push(new Uint8Array(n * 32));
  const out: WindowOutput = {
    levels,
    range: [],
    firstPrev: new Uint8Array(32),
    lastLeafHash: new Uint8Array(32),
    types: new Uint8Array(count),
    seqs: new BigUint64Array(count),
    auxs: new BigUint64Array(count),
    erased: 0,
  };
  const fail = (file: WindowFailure['file'], i: number, reason: string): WindowOutput => {
    out.failure = { file, index: firstIndex + i, reason };
    return out;
  };
  const lv = new DataView(leaves.buffer, leaves.byteOffset, leaves.length);
  const pv = new DataView(payloads.buffer, payloads.byteOffset, payloads.length);
  const layout = emptyLayout();
  const range = emptyRange();
  const sink = (level: number, index: number, hash: Uint8Array) =>
    levels[level]!.set(hash, index * 32);
  const leafHashes = levels[0]!;
  let lp = 0;
  let pp = 0;
  for (let i = 0; i < count; i++) {
    // Leaf record: frame, canonical bytes, chain link, hash.
    if (lp + FRAME_OVERHEAD > leaves.length) return fail('leaves.log', i, 'record is cut short');
    const llen = lv.getUint32(lp);
    if (lp + FRAME_OVERHEAD + llen > leaves.length)
      return fail('leaves.log', i, 'record is cut short');
    const frameBad = checkFrame(leaves, lp, llen);
    if (frameBad) return fail('leaves.log', i, frameBad);
    const bodyStart = lp + 4;
    const bodyEnd = bodyStart + llen;
    const leafBad = scanLeaf(leaves, bodyStart, bodyEnd, layout);
    if (leafBad) return fail('leaves.log', i, leafBad);
    if (i === 0)
      out.firstPrev.set(leaves.subarray(layout.prevHashStart, layout.prevHashStart + 32));
    else if (!equalAt(leaves, layout.prevHashStart, leafHashes, (i - 1) * 32)) {
      return fail('leaves.log', i, 'prev_leaf_hash is not the hash of the entry before');
    }
    const h = hashLeaf(leaves.subarray(bodyStart, bodyEnd));
    leafHashes.set(h, i * 32);
    appendLeaf(range, h, sink);
    out.types[i] = layout.type;
    out.seqs[i] = layout.streamSeq;
    out.auxs[i] = layout.aux;

    // Payload record: frame, status agreeing with the leaf, commitment or zeros.
    if (pp + FRAME_OVERHEAD > payloads.length)
      return fail('payloads.log', i, 'record is cut short');
    const plen = pv.getUint32(pp);
    if (pp + FRAME_OVERHEAD + plen > payloads.length) {
      return fail('payloads.log', i, 'record is cut short');
    }
    const pBad = checkFrame(payloads, pp, plen);
    if (pBad) return fail('payloads.log', i, pBad);
    if (plen < PAYLOAD_HEAD_BYTES)
      return fail('payloads.log', i, 'record is shorter than its head');
    const ps = pp + 4;
    const pe = ps + plen;
    const status = payloads[ps];
    const isGap = layout.type === LeafTypeCode.gap;
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
      if (input.checkPayloads) {
        const c = commitPayload(
          payloads.subarray(ps + 1, ps + PAYLOAD_HEAD_BYTES),
          payloads.subarray(ps + PAYLOAD_HEAD_BYTES, pe),
        );
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
  out.range = range.hashes;
  return out;
}
