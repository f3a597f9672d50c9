import { LeafTypeCode } from '../../../protocols/ledger/index.ts';

/**
 * The stream-accounting invariant every ledger keeps and verify re-checks: each stream sequence in
 * [1, cursor] is covered exactly once, by an event leaf or by a gap leaf, and a gap may later be
 * filled at most once per sequence by a late event. So nothing is skipped silently and nothing is
 * recorded twice. Control leaves carry the cursor and move nothing.
 */
export class SequenceRules {
  /** The highest stream sequence accounted for (0: none). */
  cursor = 0n;
  private readonly gaps: Array<{ first: bigint; last: bigint }> = [];
  private readonly late = new Set<bigint>();
  private readonly lateLog: bigint[] = [];

  constructor(cursor = 0n) {
    this.cursor = cursor;
  }

  /** The gap range holding `seq`, if any. */
  gapFor(seq: bigint): { first: bigint; last: bigint } | undefined {
    let lo = 0;
    let hi = this.gaps.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const g = this.gaps[mid]!;
      if (seq < g.first) hi = mid - 1;
      else if (seq > g.last) lo = mid + 1;
      else return g;
    }
    return undefined;
  }

  /** Whether a late event already filled this sequence inside a gap. */
  filled(seq: bigint): boolean {
    return this.late.has(seq);
  }

  /** Why this leaf would break the invariant, or undefined (then call apply). */
  check(type: number, seq: bigint, aux: bigint): string | undefined {
    switch (type) {
      case LeafTypeCode.event:
        if (seq === this.cursor + 1n) return undefined;
        if (seq > this.cursor) {
          return `stream sequence jumps from ${this.cursor} to ${seq} without a gap entry`;
        }
        if (!this.gapFor(seq)) return `stream sequence ${seq} is already recorded`;
        if (this.late.has(seq)) return `late stream sequence ${seq} is already recorded`;
        return undefined;
      case LeafTypeCode.gap:
        if (seq !== this.cursor + 1n) {
          return `gap starts at ${seq}, not right after the cursor ${this.cursor}`;
        }
        return aux >= seq ? undefined : 'gap range is empty';
      default:
        return seq === this.cursor ? undefined : `control entry carries ${seq}, not the cursor`;
    }
  }

  /** Record a leaf that passed check(). */
  apply(type: number, seq: bigint, aux: bigint): void {
    if (type === LeafTypeCode.event) {
      if (seq === this.cursor + 1n) this.cursor = seq;
      else {
        this.late.add(seq);
        this.lateLog.push(seq);
      }
    } else if (type === LeafTypeCode.gap) {
      this.gaps.push({ first: seq, last: aux });
      this.cursor = aux;
    }
  }

  /** A point to roll back to if a batch is refused part-way. */
  mark(): { cursor: bigint; gaps: number; late: number } {
    return { cursor: this.cursor, gaps: this.gaps.length, late: this.lateLog.length };
  }

  rollback(m: { cursor: bigint; gaps: number; late: number }): void {
    this.cursor = m.cursor;
    this.gaps.length = m.gaps;
    while (this.lateLog.length > m.late) this.late.delete(this.lateLog.pop()!);
  }

  /**
   * A run of in-order events first..last (first = cursor + 1 is the only thing to check): the
   * fast path for a scan window holding nothing else.
   */
  applyRun(first: bigint, last: bigint): string | undefined {
    if (first !== this.cursor + 1n) {
      return first > this.cursor
        ? `stream sequence jumps from ${this.cursor} to ${first} without a gap entry`
        : `stream sequence ${first} is already recorded`;
    }
    this.cursor = last;
    return undefined;
  }
}
