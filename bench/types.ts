/** One figure beside its peer, measured in the same run. */
export interface BenchResult {
  name: string;
  unit: string;
  value: number;
  /** What the figure is compared with; null where no peer can run on this machine. */
  peer: string | null;
  peerValue: number | null;
  /** How many times better than the peer (> 1 is better); null without a peer. */
  ratio: number | null;
  /** Free-form facts a reader needs (heap before/after, sizes, runs). */
  notes?: string;
}

export interface Bench {
  /** Names of the figures this bench produces, so `npm run bench -- <filter>` can pick it. */
  names: string[];
  run(): Promise<BenchResult[]>;
}

/** ratio for a figure where higher is better (throughput). */
export function higherIsBetter(value: number, peerValue: number): number {
  return value / peerValue;
}

/** ratio for a figure where lower is better (latency, bytes). */
export function lowerIsBetter(value: number, peerValue: number): number {
  return peerValue / value;
}

/** Median of several samples: the machines are shared and noisy. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One turn of the event loop: senders yield with it so receivers run while they send. */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Counts messages as a receiver handles them; `expect(n)` resolves at the n-th. */
export class Arrivals {
  seen = 0;
  private target = 0;
  private done: (() => void) | null = null;

  expect(n: number): Promise<void> {
    this.seen = 0;
    this.target = n;
    return new Promise((r) => {
      this.done = r;
    });
  }

  hit(): void {
    if (++this.seen === this.target) this.done?.();
  }
}

/** A figure from several runs on each side: medians, and the ratio the right way round. */
export function compared(
  name: string,
  unit: string,
  mine: number[],
  peer: string,
  theirs: number[],
  opts: { lowerIsBetter?: boolean; notes?: string } = {},
): BenchResult {
  const value = median(mine);
  const peerValue = median(theirs);
  const ratio = opts.lowerIsBetter
    ? lowerIsBetter(value, peerValue)
    : higherIsBetter(value, peerValue);
  return {
    name,
    unit,
    value,
    peer,
    peerValue,
    ratio,
    ...(opts.notes ? { notes: opts.notes } : {}),
  };
}
