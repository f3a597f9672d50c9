import { LeafTypeCode } from '../../../protocols/ledger/index.ts';
import type { EntryIndex } from './scan.ts';

function grow<T extends Float64Array | Uint8Array | BigUint64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const ctor = a.constructor as new (n: number) => T;
  const b = new ctor(Math.max(need, a.length * 2, 1024));
  b.set(a as never);
  return b;
}

export type SeqLookup =
  | { kind: 'event'; index: number }
  | { kind: 'gap'; index: number; first: bigint; last: bigint }
  | { kind: 'none' };

/**
 * What the live ledger keeps per entry in memory: record offsets for reads, and the stream
 * sequences for "which entry recorded sequence s?" (in-order entries by binary search, late
 * arrivals inside gaps in a map). About 50 bytes an entry.
 */
export class EntryTable {
  size = 0;
  leafOffsets: Float64Array = new Float64Array(1);
  payloadOffsets: Float64Array = new Float64Array(1);
  types: Uint8Array = new Uint8Array(0);
  seqs: BigUint64Array = new BigUint64Array(0);
  auxs: BigUint64Array = new BigUint64Array(0);
  private inFirst: BigUint64Array = new BigUint64Array(0);
  private inIndex: Float64Array = new Float64Array(0);
  private inCount = 0;
  private readonly late = new Map<bigint, number>();

  static from(index: EntryIndex, size: number): EntryTable {
    const t = new EntryTable();
    t.leafOffsets = index.leafOffsets;
    t.payloadOffsets = index.payloadOffsets;
    t.types = index.types;
    t.seqs = index.seqs;
    t.auxs = index.auxs;
    let cursor = 0n;
    for (let i = 0; i < size; i++)
      cursor = t.indexSeq(i, index.types[i]!, index.seqs[i]!, index.auxs[i]!, cursor);
    t.size = size;
    return t;
  }

  private indexSeq(i: number, type: number, seq: bigint, aux: bigint, cursor: bigint): bigint {
    if (type === LeafTypeCode.control) return cursor;
    if (type === LeafTypeCode.event && seq <= cursor) {
      this.late.set(seq, i);
      return cursor;
    }
    this.inFirst = grow(this.inFirst, this.inCount + 1);
    this.inIndex = grow(this.inIndex, this.inCount + 1);
    this.inFirst[this.inCount] = seq;
    this.inIndex[this.inCount] = i;
    this.inCount++;
    return type === LeafTypeCode.gap ? aux : seq;
  }

  /** Record entries appended by a commit (offsets: start of each record, then the end). */
  push(
    entries: Array<{
      type: number;
      seq: bigint;
      aux: bigint;
      leafOffset: number;
      payloadOffset: number;
    }>,
    leavesEnd: number,
    payloadsEnd: number,
    cursor: bigint,
  ): void {
    const n = this.size + entries.length;
    this.leafOffsets = grow(this.leafOffsets, n + 1);
    this.payloadOffsets = grow(this.payloadOffsets, n + 1);
    this.types = grow(this.types, n);
    this.seqs = grow(this.seqs, n);
    this.auxs = grow(this.auxs, n);
    let c = cursor;
    for (const e of entries) {
      const i = this.size++;
      this.leafOffsets[i] = e.leafOffset;
      this.payloadOffsets[i] = e.payloadOffset;
      this.types[i] = e.type;
      this.seqs[i] = e.seq;
      this.auxs[i] = e.aux;
      c = this.indexSeq(i, e.type, e.seq, e.aux, c);
    }
    this.leafOffsets[this.size] = leavesEnd;
    this.payloadOffsets[this.size] = payloadsEnd;
  }

  /** Which entry accounts for stream sequence `seq`. */
  lookup(seq: bigint): SeqLookup {
    const late = this.late.get(seq);
    if (late !== undefined) return { kind: 'event', index: late };
    let lo = 0;
    let hi = this.inCount - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.inFirst[mid]! <= seq) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return { kind: 'none' };
    const index = this.inIndex[found]!;
    const type = this.types[index]!;
    const first = this.seqs[index]!;
    if (type === LeafTypeCode.event)
      return first === seq ? { kind: 'event', index } : { kind: 'none' };
    const last = this.auxs[index]!;
    return seq <= last ? { kind: 'gap', index, first, last } : { kind: 'none' };
  }
}
