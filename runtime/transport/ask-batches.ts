/** How long a batch of asks waits for the broker's no-responders status before it is forgotten. */
export const ASK_BATCH_TTL_MS = 10_000;

interface AskBatch {
  readonly corrs: number[];
  readonly at: number;
  readonly subject: string;
}

/**
 * Batches of asks in flight, by the sequence number in their reply subject (`<inbox>.b<seq>`):
 * a no-responders status on that subject, or a permission violation on the subject they went
 * to, fails every ask of the batch at once instead of letting each time out.
 */
export class AskBatches {
  private readonly bySeq = new Map<number, AskBatch>();
  private seq = 0;

  /** Remember the asks of a batch published on `subject`; returns the batch's sequence number. */
  add(subject: string, corrs: number[]): number {
    const seq = ++this.seq;
    this.bySeq.set(seq, { corrs, at: Date.now(), subject });
    return seq;
  }

  /** The asks of batch `seq`, once: a second status for it finds nothing. */
  take(seq: number): number[] | null {
    const entry = this.bySeq.get(seq);
    if (entry === undefined) return null;
    this.bySeq.delete(seq);
    return entry.corrs;
  }

  /** The asks of every batch published on `subject`, taken. */
  takeSubject(subject: string): number[][] {
    const out: number[][] = [];
    for (const [seq, v] of this.bySeq) {
      if (v.subject !== subject) continue;
      this.bySeq.delete(seq);
      out.push(v.corrs);
    }
    return out;
  }

  /** Forget batches older than the TTL: their asks have their own deadlines. */
  sweep(): void {
    const cutoff = Date.now() - ASK_BATCH_TTL_MS;
    for (const [seq, v] of this.bySeq) {
      if (v.at < cutoff) this.bySeq.delete(seq);
      else break; // insertion order is time order
    }
  }
}
