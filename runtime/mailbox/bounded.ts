import type { OverflowPolicy } from '../context.ts';

/**
 * How many items a queue may hold: a positive integer, or `'unbounded'` / `Infinity` for no
 * bound at all. An unbounded mailbox never refuses a message, so a producer faster than its
 * consumer grows it until the process runs out of memory (about 32 bytes per queued local
 * tell, 120 per ask or message from the network, plus the body): use it only where the senders are known to be finite (a burst from one
 * handler), never for traffic from the network.
 */
export type QueueCapacity = number | 'unbounded';

/** Most a bounded mailbox may hold: larger ones are a typo, or should say Infinity. */
export const MAX_CAPACITY = 100_000_000;

/**
 * A capacity an actor's mailbox option may name: an integer in [1, MAX_CAPACITY], or
 * `Infinity` for unbounded (see QueueCapacity for the memory risk).
 */
export function isMailboxCapacity(c: unknown): c is number {
  return (
    c === Number.POSITIVE_INFINITY ||
    (typeof c === 'number' && Number.isInteger(c) && c >= 1 && c <= MAX_CAPACITY)
  );
}

/**
 * A queue's capacity as a number (`Infinity` when unbounded), after checking it and the
 * overflow policy: a RangeError names what is wrong.
 */
export function toCapacity(capacity: QueueCapacity, overflow: OverflowPolicy): number {
  const cap = capacity === 'unbounded' ? Number.POSITIVE_INFINITY : capacity;
  if (
    typeof cap !== 'number' ||
    !(cap === Number.POSITIVE_INFINITY || (Number.isInteger(cap) && cap >= 1))
  ) {
    throw new RangeError(
      `queue capacity must be a positive integer or 'unbounded' (got ${String(capacity)})`,
    );
  }
  if (overflow !== 'fail' && overflow !== 'dropOldest' && overflow !== 'dropNewest') {
    throw new RangeError(
      `overflow must be fail, dropOldest or dropNewest (got ${String(overflow)})`,
    );
  }
  return cap;
}

/** Slots an empty queue allocates on first use: an idle actor's mailbox costs almost nothing. */
const FIRST = 8;
/**
 * Growth factor. ×4 instead of ×2 halves the copies a burst causes (a million queued letters:
 * 9 grows instead of 17), for at most 4× the slots of the high-water mark, still bounded by
 * the capacity.
 */
const GROW = 4;

/** What every queue of the runtime has: a checked capacity, an overflow policy, a count. */
export abstract class QueueBounds {
  protected count = 0;
  /** Most items held at once; `Infinity` when unbounded. */
  readonly capacity: number;

  constructor(
    capacity: QueueCapacity,
    /** What `offer` does when the queue is full. */
    readonly overflow: OverflowPolicy = 'fail',
  ) {
    this.capacity = toCapacity(capacity, overflow);
  }

  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }
}

/**
 * A FIFO ring buffer, bounded or not. It starts small and grows ×4 up to its capacity, so an
 * idle actor's mailbox costs almost nothing and a busy one never reallocates per message.
 * Items must not be `undefined` (it marks an empty slot and an empty queue).
 */
export class BoundedQueue<T> extends QueueBounds {
  private items: (T | undefined)[];
  private head = 0;

  constructor(capacity: QueueCapacity, overflow: OverflowPolicy = 'fail') {
    super(capacity, overflow);
    this.items = new Array(Math.min(FIRST, this.capacity));
  }

  get unbounded(): boolean {
    return this.capacity === Number.POSITIVE_INFINITY;
  }

  /** Append; the caller checks `full` first (use `offer` to apply the overflow policy here). */
  push(item: T): void {
    let items = this.items;
    if (this.count === items.length) items = this.grow();
    const len = items.length;
    let i = this.head + this.count;
    if (i >= len) i -= len;
    items[i] = item;
    this.count++;
  }

  /**
   * Append, applying the overflow policy when full. Returns what did not stay: `undefined`
   * when nothing was lost; when full, the offered item itself (`fail`: refused, `dropNewest`:
   * dropped) or the evicted oldest item (`dropOldest`, and `item` is queued).
   */
  offer(item: T): T | undefined {
    if (this.count < this.capacity) {
      this.push(item);
      return undefined;
    }
    if (this.overflow !== 'dropOldest') return item;
    const old = this.shift();
    this.push(item);
    return old;
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

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** Remove and return everything, oldest first. */
  drain(): T[] {
    const out: T[] = new Array(this.count);
    for (let k = 0; k < out.length; k++) out[k] = this.shift() as T;
    return out;
  }

  /** Forget everything queued; keeps the allocated slots for reuse. */
  clear(): void {
    while (this.count > 0) this.shift();
    this.head = 0;
  }

  private grow(): (T | undefined)[] {
    const old = this.items;
    const n = this.count;
    const size = Math.min(Math.max(FIRST, old.length * GROW), Math.max(this.capacity, FIRST));
    const next: (T | undefined)[] = new Array(size);
    // Two straight copies (head..end, then 0..head) instead of a wrap test per item.
    const tail = Math.min(n, old.length - this.head);
    for (let k = 0; k < tail; k++) next[k] = old[this.head + k];
    for (let k = tail; k < n; k++) next[k] = old[k - tail];
    this.items = next;
    this.head = 0;
    return next;
  }
}
