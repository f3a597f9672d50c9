/** How bad: the sinks show it, a webhook receiver may route on it. */
export type Severity = 'critical' | 'error' | 'warning' | 'info';

/** One message to the humans: an alert that fires, its summary, or its recovery. */
export interface Alert {
  /** Unique per alert: a webhook receiver can drop a redelivery by it. */
  readonly id: string;
  readonly rule: string;
  readonly severity: Severity;
  /** `firing`: something broke; `resolved`: it works again; `summary`: what a window held back. */
  readonly state: 'firing' | 'resolved' | 'summary';
  readonly system: string;
  readonly node: string;
  /** What it is about (an actor path, a peer site, a ledger). */
  readonly subject: string;
  readonly title: string;
  readonly text: string;
  /** How many signals this message stands for (a storm: many). */
  readonly count: number;
  readonly at: number;
}
