/**
 * A sliding replay window over sequence numbers (in the style of RFC 6479): remembers the highest
 * number seen and which of the `size` numbers below it were seen. Memory is fixed.
 */
export class ReplayWindow {
  #highest = -1;
  readonly #bits: Uint8Array;

  constructor(readonly size = 1024) {
    if (!Number.isInteger(size) || size < 8)
      throw new RangeError('a replay window holds at least 8');
    this.#bits = new Uint8Array(Math.ceil(size / 8));
  }

  /** 'ok', 'replay' (seen) or 'stale' (too far below the highest to tell). */
  check(seq: number): 'ok' | 'replay' | 'stale' {
    if (seq > this.#highest) return 'ok';
    if (this.#highest - seq >= this.size) return 'stale';
    return this.#get(seq) ? 'replay' : 'ok';
  }

  /** Records seq as seen; call only after the message authenticated. */
  mark(seq: number): void {
    if (seq > this.#highest) {
      if (seq - this.#highest >= this.size) this.#bits.fill(0);
      else for (let s = this.#highest + 1; s < seq; s++) this.#set(s, false);
      this.#highest = seq;
    }
    this.#set(seq, true);
  }

  #get(seq: number): boolean {
    const i = seq % this.size;
    return (this.#bits[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  #set(seq: number, on: boolean): void {
    const i = seq % this.size;
    if (on) this.#bits[i >> 3]! |= 1 << (i & 7);
    else this.#bits[i >> 3]! &= ~(1 << (i & 7));
  }
}
