/**
 * Received frames waiting for an async-iterator consumer. Tells the link when to pause the socket
 * (queue above `highWater`) and when to resume, so a slow consumer pushes back on TCP.
 */
export class FrameQueue implements AsyncIterableIterator<Uint8Array> {
  #items: Uint8Array[] = [];
  #waiters: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: Error) => void }[] = [];
  #ended = false;
  #error: Error | null = null;

  constructor(
    private readonly highWater: number,
    private readonly onPressure: (paused: boolean) => void,
  ) {}

  get length(): number {
    return this.#items.length;
  }

  push(frame: Uint8Array): void {
    const w = this.#waiters.shift();
    if (w) {
      w.resolve({ value: frame, done: false });
      return;
    }
    this.#items.push(frame);
    if (this.#items.length === this.highWater) this.onPressure(true);
  }

  /** No more frames; consumers get what is queued, then done (or `error`). */
  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error ?? null;
    for (const w of this.#waiters.splice(0)) {
      if (this.#error) w.reject(this.#error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    const item = this.#items.shift();
    if (item) {
      if (this.#items.length === this.highWater >> 1) this.onPressure(false);
      return Promise.resolve({ value: item, done: false });
    }
    if (this.#ended) {
      return this.#error
        ? Promise.reject(this.#error)
        : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /**
   * Breaking out of a `for await` loop ends that loop only: unread frames stay queued for the
   * next loop over the link (and keep the socket paused while the queue is full).
   */
  return(): Promise<IteratorResult<Uint8Array>> {
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }
}
