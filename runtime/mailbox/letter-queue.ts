import type { OverflowPolicy } from '../context.ts';
import { Letter, LetterKind } from '../letter.ts';
import { QueueBounds, type QueueCapacity } from './bounded.ts';

/** Slots an entry takes: a Letter (then three unused), or a plain tell's type, body, from, trace. */
const STRIDE = 4;
/** Entries of a mailbox's first segment: an actor told once costs eight slots. */
const FIRST = 2;
/** Each new segment is this many times the last, up to SEGMENT entries. */
const GROW = 4;
/**
 * Entries of a full-size segment: 16K slots, just past V8's largest regular object, so a deep
 * queue's segments live in large-object space and are never copied by the scavenger.
 */
const SEGMENT = 4096;

/** A run of entries in one array; a mailbox is a chain of them, oldest first. */
class Segment {
  readonly slots: unknown[];
  /** Slot index of the oldest entry, and one past the newest. */
  read = 0;
  write = 0;
  next: Segment | null = null;

  constructor(entries: number) {
    this.slots = new Array(entries * STRIDE);
  }
}

export class LetterQueue extends QueueBounds {
  /** Where entries are taken from, and where they are added: the same segment most of the time. */
  private first: Segment;
  private last: Segment;

  constructor(capacity: QueueCapacity, overflow: OverflowPolicy = 'fail') {
    super(capacity, overflow);
    this.first = this.last = new Segment(Math.min(FIRST, this.capacity));
  }

  /** Append a plain tell by its parts; the caller checks `full` first. */
  pushTell(type: string, body: unknown, from: string | null, trace: string | null): void {
    const i = this.tail();
    const s = this.last.slots;
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
    const i = this.tail();
    this.last.slots[i] = letter;
    return old;
  }

  shift(): Letter | undefined {
    if (this.count === 0) return undefined;
    const seg = this.first;
    const s = seg.slots;
    const i = seg.read;
    const head = s[i];
    let letter: Letter;
    if (typeof head === 'string') {
      letter = new Letter(
        LetterKind.tell,
        head,
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
    } else letter = head as Letter;
    s[i] = undefined;
    seg.read = i + STRIDE;
    if (--this.count === 0) {
      // Empty: the one segment left starts over, so a mailbox that keeps up never allocates.
      seg.read = 0;
      seg.write = 0;
    } else if (seg.read === seg.write) {
      this.first = seg.next as Segment;
      seg.next = null;
    }
    return letter;
  }

  /** Remove and return everything, oldest first. */
  drain(): Letter[] {
    const out: Letter[] = new Array(this.count);
    for (let k = 0; k < out.length; k++) out[k] = this.shift() as Letter;
    return out;
  }

  /** First slot of a new entry in the last segment, chaining a new segment when it is full. */
  private tail(): number {
    let seg = this.last;
    if (seg.write === seg.slots.length) {
      const next = new Segment(
        Math.min(SEGMENT, (seg.slots.length / STRIDE) * GROW, Math.max(this.capacity, FIRST)),
      );
      seg.next = next;
      this.last = seg = next;
    }
    const i = seg.write;
    seg.write = i + STRIDE;
    this.count++;
    return i;
  }
}
