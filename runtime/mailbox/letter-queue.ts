import type { OverflowPolicy } from '../context.ts';
import { Letter, LetterKind } from '../letter.ts';
import { type QueueCapacity, toCapacity } from './bounded.ts';

/** Slots an entry takes: a Letter (then three unused), or a plain tell's type, body, from, trace. */
const STRIDE = 4;
/** Entries a mailbox allocates on first use: an actor told once costs eight slots. */
const FIRST = 2;
/** Growth factor, as BoundedQueue's: few copies in a burst, bounded by the capacity. */
const GROW = 4;

/**
 * An actor's mailbox: a FIFO ring, bounded or not, of letters. A plain tell (no reply, no
 * deadline, no hops) is kept as its four parts in the ring itself and becomes a Letter only
 * when it is taken out: a burst of a million queued tells allocates nothing per message while
 * it waits, so the young generation has nothing to copy and promote (that copying was about
 * 40% of a burst's time when every queued tell was a Letter object).
 */
export class LetterQueue {
  private slots: unknown[];
  /** Index of the oldest entry's first slot. */
  private head = 0;
  private count = 0;
  /** Most entries held at once; `Infinity` when unbounded. */
  readonly capacity: number;

  constructor(
    capacity: QueueCapacity,
    /** What `offer` does when the queue is full. */
    readonly overflow: OverflowPolicy = 'fail',
  ) {
    this.capacity = toCapacity(capacity, overflow);
    this.slots = new Array(Math.min(FIRST, this.capacity) * STRIDE);
  }

  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Append a plain tell by its parts; the caller checks `full` first. */
  pushTell(type: string, body: unknown, from: string | null, trace: string | null): void {
    const i = this.tail();
    const s = this.slots;
    s[i] = type;
    s[i + 1] = body;
    s[i + 2] = from;
    s[i + 3] = trace;
  }

  /**
   * Append, applying the overflow policy when full. Returns what did not stay: `undefined`
   * when nothing was lost; when full, the offered letter itself (`fail`: refused,
   * `dropNewest`: dropped) or the evicted oldest (`dropOldest`, and `letter` is queued).
   */
  offer(letter: Letter): Letter | undefined {
    let old: Letter | undefined;
    if (this.count >= this.capacity) {
      if (this.overflow !== 'dropOldest') return letter;
      old = this.shift();
    }
    this.slots[this.tail()] = letter;
    return old;
  }

  shift(): Letter | undefined {
    if (this.count === 0) return undefined;
    const s = this.slots;
    const i = this.head;
    const first = s[i];
    let letter: Letter;
    if (typeof first === 'string') {
      letter = new Letter(
        LetterKind.tell,
        first,
        s[i + 1],
        s[i + 2] as string | null,
        null,
        0,
        s[i + 3] as string | null,
        0,
      );
      s[i + 1] = undefined;
      s[i + 2] = undefined;
      s[i + 3] = undefined;
    } else letter = first as Letter;
    s[i] = undefined;
    this.head = i + STRIDE === s.length ? 0 : i + STRIDE;
    this.count--;
    return letter;
  }

  /** Remove and return everything, oldest first. */
  drain(): Letter[] {
    const out: Letter[] = new Array(this.count);
    for (let k = 0; k < out.length; k++) out[k] = this.shift() as Letter;
    return out;
  }

  /** First slot of a new entry at the end, growing the ring when it is full. */
  private tail(): number {
    let s = this.slots;
    if (this.count * STRIDE === s.length) s = this.grow();
    let i = this.head + this.count * STRIDE;
    if (i >= s.length) i -= s.length;
    this.count++;
    return i;
  }

  private grow(): unknown[] {
    const old = this.slots;
    const used = this.count * STRIDE;
    const entries = Math.min(
      Math.max(FIRST, (old.length / STRIDE) * GROW),
      Math.max(this.capacity, FIRST),
    );
    const next: unknown[] = new Array(entries * STRIDE);
    // Two straight copies (head..end, then 0..head) instead of a wrap test per slot.
    const tail = Math.min(used, old.length - this.head);
    for (let k = 0; k < tail; k++) next[k] = old[this.head + k];
    for (let k = tail; k < used; k++) next[k] = old[k - tail];
    this.slots = next;
    this.head = 0;
    return next;
  }
}
