import { Timeout, type TroupeError } from './errors.ts';
import type { Schema } from './protocol.ts';

/** Where a reply goes: a local promise, or a remote asker reached through the transport. */
export interface ReplyTarget {
  resolve(value: unknown): void;
  reject(error: TroupeError | Error): void;
  /** True once answered or expired: a late reply is dropped, not delivered twice. */
  readonly settled: boolean;
}

/** An outstanding ask from this process. */
export class PendingAsk implements ReplyTarget {
  readonly promise: Promise<unknown>;
  settled = false;
  /** Registered in the wheel's by-correlation table (remote asks only). */
  remote = false;
  bucket: Bucket | null = null;
  /** The ask's reply schema, when the asker gave one: a reply from the wire must match it. */
  replySchema: Schema | null = null;
  private res!: (v: unknown) => void;
  private rej!: (e: Error) => void;
  private readonly wheel: DeadlineWheel;

  constructor(
    wheel: DeadlineWheel,
    readonly corr: number,
    readonly target: string,
    readonly type: string,
    readonly deadline: number,
    readonly timeoutMs: number,
  ) {
    this.wheel = wheel;
    this.promise = new Promise((res, rej) => {
      this.res = res;
      this.rej = rej;
    });
    wheel.add(this);
  }

  resolve(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.wheel.remove(this);
    this.res(value);
  }

  reject(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.wheel.remove(this);
    this.rej(error);
  }

  expire(): void {
    if (this.settled) return;
    this.settled = true;
    this.wheel.remove(this);
    this.rej(new Timeout(this.target, this.type, this.timeoutMs));
  }
}

/** The asks whose deadlines fall in one millisecond. Settled ones stay until the bucket goes. */
class Bucket {
  readonly items: PendingAsk[] = [];
  live = 0;
  constructor(readonly key: number) {}
}

/**
 * Deadlines of outstanding asks, bucketed by millisecond behind a single timer. An ask costs
 * an array push and a counter, not a timer of its own: a bucket is dropped as soon as every
 * ask in it settled, so answered asks are not kept until their deadline.
 */
export class DeadlineWheel {
  private readonly buckets = new Map<number, Bucket>();
  /** Min-heap of bucket keys; a key may linger after its bucket was dropped. */
  private readonly heap: number[] = [];
  /** The bucket asks are being added to; kept even when empty, as the next ask likely lands in it. */
  private last: Bucket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private outstanding = 0;
  /** Remote asks by correlation id, for replies that arrive over the transport. */
  readonly byCorr = new Map<number, PendingAsk>();

  add(p: PendingAsk): void {
    const key = Math.ceil(p.deadline);
    let b = this.last;
    if (b === null || b.key !== key) {
      b = this.buckets.get(key) ?? null;
      if (b === null) {
        b = new Bucket(key);
        this.buckets.set(key, b);
        heapPush(this.heap, key);
        if (key < this.timerAt) this.arm(key);
      }
      const prev = this.last;
      this.last = b;
      if (prev !== null && prev.live === 0) this.buckets.delete(prev.key);
    }
    b.items.push(p);
    b.live++;
    p.bucket = b;
    this.outstanding++;
  }

  remove(p: PendingAsk): void {
    const b = p.bucket;
    if (b !== null) {
      p.bucket = null;
      if (--b.live === 0 && b !== this.last) this.buckets.delete(b.key);
      this.outstanding--;
    }
    if (p.remote) this.byCorr.delete(p.corr);
  }

  /** Track a remote ask so its reply, arriving by correlation id, finds it. */
  trackRemote(p: PendingAsk): void {
    p.remote = true;
    this.byCorr.set(p.corr, p);
  }

  get size(): number {
    return this.outstanding;
  }

  /** Fail every outstanding ask, e.g. at shutdown. */
  rejectAll(makeError: (p: PendingAsk) => Error): void {
    for (const b of [...this.buckets.values()]) {
      for (const p of b.items) if (!p.settled) p.reject(makeError(p));
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private arm(key: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = key;
    // Kept armed (and referenced) after its asks settle: re-arming per ask costs more than a
    // spare wake-up. shutdown() clears it.
    // Capped: a longer delay would fire after 1 ms, again and again (deadlines off the wire).
    this.timer = setTimeout(
      () => this.fire(),
      Math.min(Math.max(0, key - Date.now()), 2 ** 31 - 1),
    );
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const heap = this.heap;
    while (heap.length > 0 && heap[0]! <= now) {
      const key = heapPop(heap);
      const b = this.buckets.get(key);
      if (b === undefined) continue;
      this.buckets.delete(key);
      if (this.last === b) this.last = null;
      for (const p of b.items) if (!p.settled) p.expire();
    }
    while (heap.length > 0 && !this.buckets.has(heap[0]!)) heapPop(heap);
    if (heap.length > 0) this.arm(heap[0]!);
  }
}

function heapPush(h: number[], v: number): void {
  h.push(v);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]! <= v) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = v;
}

function heapPop(h: number[]): number {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length > 0) {
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]! < h[l]! ? r : l;
      if (h[c]! >= last) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
  return top;
}
