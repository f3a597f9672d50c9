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
