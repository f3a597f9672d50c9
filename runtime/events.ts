/** Everything the runtime reports about actors: one union, the same data on every subject. */
export type RuntimeEvent =
  | { kind: 'started'; path: string; type: string; at: number }
  | { kind: 'stopped'; path: string; reason: string; at: number }
  | { kind: 'crashed'; path: string; reason: string; at: number }
  | { kind: 'hung'; path: string; reason: string; at: number }
  | { kind: 'restarted'; path: string; restarts: number; at: number }
  | { kind: 'gaveUp'; path: string; reason: string; at: number }
  | { kind: 'transport'; status: string; detail: string; at: number }
  | {
      kind: 'deadLetter';
      to: string;
      from: string | null;
      type: string;
      reason: string;
      at: number;
    };

export type RuntimeEventKind = RuntimeEvent['kind'];
export type EventListener = (e: RuntimeEvent) => void;
