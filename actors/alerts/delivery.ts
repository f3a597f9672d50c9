import type { Logger } from 'pino';
import { deadlineSignal, releaseDeadline } from '../../runtime/deadline-signal.ts';
import { backoffDelay } from '../../runtime/index.ts';
import type { Alert } from './alert.ts';
import { type AlertSink, networkFailure, type SendResult } from './sinks/sink.ts';

export interface DeliveryOptions {
  /** Undelivered alerts kept per sink; past it the oldest is dropped (and counted). */
  capacity: number;
  /** Retry backoff while a sink is down. */
  initialMs: number;
  maxMs: number;
  /** One attempt's time limit. */
  timeoutMs: number;
  /** The longest wait a sink's `retry_after` may ask for. */
  maxRetryAfterMs: number;
  /** An alert older than this is dropped instead of sent (default: a day). */
  maxAgeMs: number;
}

export const DELIVERY_DEFAULTS: DeliveryOptions = {
  capacity: 1000,
  initialMs: 500,
  maxMs: 30_000,
  timeoutMs: 10_000,
  maxRetryAfterMs: 300_000,
  maxAgeMs: 86_400_000,
};

/** One sink's delivery counts, as `status` reports them. */
export interface SinkStats {
  sink: string;
  queued: number;
  delivered: number;
  /** Attempts that failed and will be tried again. */
  retries: number;
  /** Alerts dropped unsent: the queue was full, or they grew too old. */
  dropped: number;
  /** Alerts the sink refused for good (a 4xx other than 429). */
  rejected: number;
  down: boolean;
  lastError: string | null;
}

interface Pending {
  alert: Alert;
  enqueuedAt: number;
}

/**
 * A sink's own queue and sender: one alert in flight, in order, retried with backoff (or after
 * the sink's `retry_after`) while the sink is down. It runs beside the alerts actor, never in
 * its handler, so a sink that hangs or refuses holds up nothing else. Bounded: when full, the
 * oldest alert goes and is counted; when the sink answers again, it hears how many it missed.
 */
export class SinkQueue {
  private readonly q: Pending[] = [];
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private failures = 0;
  /** Alerts dropped since the last delivery that went through (told when one does). */
  private droppedWhileDown = 0;
  private downSince = 0;
  private readonly abort = new AbortController();
  private idleWaiters: (() => void)[] = [];
  readonly stats: SinkStats;

  constructor(
    readonly sink: AlertSink,
    private readonly o: DeliveryOptions,
    private readonly log: Logger,
    /** The sink answers again after failing: `dropped` alerts were lost meanwhile. */
    private readonly onRecovered: (q: SinkQueue, downMs: number, dropped: number) => void,
  ) {
    this.stats = {
      sink: sink.name,
      queued: 0,
      delivered: 0,
      retries: 0,
      dropped: 0,
      rejected: 0,
      down: false,
      lastError: null,
    };
  }

  push(alert: Alert): void {
    if (this.closed) return;
    if (this.q.length >= this.o.capacity) {
      this.q.shift();
      this.dropped(1);
    }
    this.q.push({ alert, enqueuedAt: Date.now() });
    this.stats.queued = this.q.length;
    this.kick();
  }

  private dropped(n: number): void {
    this.stats.dropped += n;
    this.droppedWhileDown += n;
    if (this.stats.dropped === n || this.stats.dropped % 100 < n) {
      this.log.warn(
        { sink: this.sink.name, dropped: this.stats.dropped, capacity: this.o.capacity },
        'alert sink backlog full: oldest alerts dropped',
      );
    }
  }

  private kick(): void {
    if (this.running || this.timer !== null || this.closed) return;
    void this.loop();
  }

  private async loop(): Promise<void> {
    this.running = true;
    while (this.q.length > 0 && !this.closed) {
      const head = this.q[0]!;
      if (Date.now() - head.enqueuedAt > this.o.maxAgeMs) {
        this.q.shift();
        this.dropped(1);
        continue;
      }
      let r: SendResult;
      // One signal per attempt on the delivery's long-lived one: released after the attempt.
      const signal = deadlineSignal(this.abort.signal, Date.now() + this.o.timeoutMs);
      try {
        r = await this.sink.send(head.alert, signal);
      } catch (err) {
        r = networkFailure(err);
      } finally {
        releaseDeadline(signal);
      }
      if (this.closed) break;
      if (r.ok) {
        this.q.shift();
        this.stats.delivered++;
        const lost = this.droppedWhileDown;
        if (this.stats.down || lost > 0) {
          const downMs = this.stats.down ? Date.now() - this.downSince : 0;
          if (this.stats.down) {
            this.log.info(
              { sink: this.sink.name, downMs, dropped: lost },
              'alert sink reachable again',
            );
          }
          this.stats.down = false;
          this.failures = 0;
          this.droppedWhileDown = 0;
          // Tell the humans what they did not get, through the sink that lost it.
          if (lost > 0) this.onRecovered(this, downMs, lost);
        }
        continue;
      }
      this.stats.lastError = r.error;
      if (!r.retry) {
        this.q.shift();
        this.stats.rejected++;
        this.log.error(
          { sink: this.sink.name, alert: head.alert.id, error: r.error },
          'alert sink refused an alert',
        );
        continue;
      }
      this.stats.retries++;
      if (!this.stats.down) {
        this.stats.down = true;
        this.downSince = Date.now();
        this.log.warn(
          { sink: this.sink.name, error: r.error },
          'alert sink failing; retrying with backoff',
        );
      }
      const delay =
        r.retryAfterMs !== undefined
          ? Math.min(r.retryAfterMs, this.o.maxRetryAfterMs)
          : backoffDelay(
              { initialMs: this.o.initialMs, maxMs: this.o.maxMs, multiplier: 2, jitter: 0.2 },
              ++this.failures,
            );
      this.timer = setTimeout(() => {
        this.timer = null;
        this.kick();
      }, delay);
      this.timer.unref();
      this.running = false;
      this.stats.queued = this.q.length;
      return;
    }
    this.running = false;
    this.stats.queued = this.q.length;
    if (this.q.length === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  /** Resolves when the queue is empty (tests, a graceful stop). */
  drained(): Promise<void> {
    if (this.q.length === 0 && !this.running) return Promise.resolve();
    return new Promise((res) => this.idleWaiters.push(res));
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}
