import type { Logger } from 'pino';
import type { Cell } from './cell.ts';
import type { OverflowPolicy, Terminated } from './context.ts';
import type { RuntimeEvent } from './events.ts';
import type { Letter } from './letter.ts';
import type { TelemetryPort } from './telemetry.ts';

// The shapes and constants a cell is made of, shared by cell-base.ts and cell.ts.

export const RUNNING = 0;
/** Crashed: holds its mail while its parent decides (restart, stop, give up). */
export const SUSPENDED = 1;
export const STOPPING = 2;
export const STOPPED = 3;

export const F_SCHEDULED = 1;
export const F_BUSY = 2;
/** Messages an inline run may handle before the rest goes back to the dispatcher. */
export const INLINE_BUDGET = 300;

/** What cells' spawn times count from (see Cell.born). */
export const EPOCH = Date.now();

/** Where in its life an actor failed: in its start hook, or handling a message. */
export type FailurePhase = 'start' | 'message';

/** What a cell needs from its system; the kernel (kernel.ts) implements it. */
export interface CellHost {
  readonly name: string;
  readonly node: string;
  readonly log: Logger;
  readonly stopTimeoutMs: number;
  /** Metrics and tracing (runtime/telemetry.ts); null when off, the default. */
  readonly telemetry: TelemetryPort | null;
  deadLetter(to: string, letter: Letter, reason: string): void;
  emit(e: RuntimeEvent): void;
  hasListeners(): boolean;
  unregister(cell: Cell): void;
  /** A cell turned busy (1) or idle (-1): the system counts them for graceful shutdown. */
  activity(delta: 1 | -1): void;
  /** A handler or start hook failed: the cell is suspended; the host tells its parent. */
  onFailure(cell: Cell, reason: string, error: unknown, phase: FailurePhase): void;
  /** A child stopped by itself (reason `normal`): its parent decides whether to restart it. */
  onSelfStop(cell: Cell, reason: string): void;
  /** Run a supervision system message in `cell` (a parent); may return a promise. */
  supervise(cell: Cell, msg: unknown): Promise<unknown> | undefined;
  notifyTerminated(watcher: string, t: Terminated): void;
}

/** What a supervisor decided about this child; kept on the child for tools and the watchdog. */
export interface ChildSettings {
  readonly restart: 'permanent' | 'transient' | 'temporary';
  /** ms to wait for a running handler at stop; 0 = brutal; Infinity = wait. */
  readonly shutdownMs: number;
  readonly maxHandlerMs: number | null;
  readonly heartbeatMs: number | null;
}

/** Per-cell settings that differ from the definition's; absent for most actors. */
export interface CellOptions {
  capacity: number;
  overflow: OverflowPolicy;
  shard: boolean;
  child: ChildSettings | null;
  /** Hosted here for a supervisor on another node: where to report exits. */
  remote?: { readonly node: string; readonly path: string } | null;
}

/** Rarely used parts, allocated on first use so an idle actor stays small. */
export interface CellExtras {
  timers: Map<string, NodeJS.Timeout> | null;
  watchers: Set<string> | null;
  watching: Set<string> | null;
  stopPromise: Promise<void> | null;
  idleWaiters: (() => void)[] | null;
  current: Letter | null;
  restarts: number;
  lastFailure: string | null;
  startedAt: number;
  /** Last snapshot taken after a handled message, for restart-from-snapshot. */
  snapshot: unknown;
  hasSnapshot: boolean;
  /** When the running handler started (epoch ms), 0 when idle; kept only for watched actors. */
  handlerStartedAt: number;
  lastBeat: number;
  abort: AbortController | null;
  /** Restart bookkeeping of the default (non-supervisor) directive. */
  recentRestarts: number[] | null;
  hung: boolean;
  /** Settles when the start hook of the current incarnation has run. */
  started: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | null;
}
