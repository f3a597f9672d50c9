import type { Cell } from './cell.ts';
import type { Timers } from './context.ts';
import { InvalidArgument } from './errors.ts';

/** Delivers a timer's message to its own actor, through the mailbox like any other. */
export type TimerDelivery = (cell: Cell, type: string, body: unknown) => void;

function checkDelay(what: string, ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 2_147_483_647) {
    throw new InvalidArgument(
      `${what} must be a number of milliseconds in [0, 2^31) (got ${String(ms)})`,
    );
  }
  return ms;
}

/** Keyed timers of one actor; every one is cancelled when the actor stops or restarts. */
export class CellTimers implements Timers {
  constructor(
    private readonly cell: Cell,
    private readonly deliver: TimerDelivery,
  ) {}

  private table(): Map<string, NodeJS.Timeout> {
    const x = this.cell.extras();
    if (x.timers === null) x.timers = new Map();
    return x.timers;
  }

  once(key: string, delayMs: number, type: string, body: unknown): void {
    const ms = checkDelay('timer delay', delayMs);
    this.cancel(key);
    if (this.cell.stopped) return;
    const t = this.table();
    t.set(
      key,
      setTimeout(() => {
        t.delete(key);
        this.deliver(this.cell, type, body);
      }, ms),
    );
  }

  repeat(key: string, intervalMs: number, type: string, body: unknown): void {
    const ms = checkDelay('timer interval', intervalMs);
    if (ms === 0) throw new InvalidArgument('a repeating timer needs an interval above 0 ms');
    this.cancel(key);
    if (this.cell.stopped) return;
    this.table().set(
      key,
      setInterval(() => this.deliver(this.cell, type, body), ms),
    );
  }

  cancel(key: string): void {
    const t = this.cell.ext?.timers;
    const h = t?.get(key);
    if (h !== undefined) {
      clearTimeout(h);
      t!.delete(key);
    }
  }

  isActive(key: string): boolean {
    return this.cell.ext?.timers?.has(key) ?? false;
  }
}
