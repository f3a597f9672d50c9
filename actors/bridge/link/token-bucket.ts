/** A token bucket: `ratePerSecond` refill, `burst` capacity. The clock is injectable for tests. */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    const t = this.now();
    this.#tokens = Math.min(
      this.burst,
      this.#tokens + ((t - this.#last) / 1000) * this.ratePerSecond,
    );
    this.#last = t;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
