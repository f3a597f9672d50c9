/**
 * A bounded FIFO ring buffer. It starts small and doubles up to its capacity, so an idle
 * actor's mailbox costs almost nothing and a busy one never reallocates per message.
 */
export class BoundedQueue<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(Math.min(8, capacity));
  }

  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Append; the caller checks `full` first (the overflow policy is the caller's). */
  push(item: T): void {
    let items = this.items;
    if (this.count === items.length) {
      items = this.grow();
    }
    const len = items.length;
    let i = this.head + this.count;
    if (i >= len) i -= len;
    items[i] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const items = this.items;
    const item = items[this.head];
    items[this.head] = undefined;
    this.head++;
    if (this.head === items.length) this.head = 0;
    this.count--;
    return item;
  }

  /** Remove and return everything, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    for (let x = this.shift(); x !== undefined; x = this.shift()) out.push(x);
    return out;
  }

  private grow(): (T | undefined)[] {
    const old = this.items;
    const size = Math.min(Math.max(8, old.length * 2), Math.max(this.capacity, 8));
    const next: (T | undefined)[] = new Array(size);
    for (let k = 0; k < this.count; k++) {
      let i = this.head + k;
      if (i >= old.length) i -= old.length;
      next[k] = old[i];
    }
    this.items = next;
    this.head = 0;
    return next;
  }
}
