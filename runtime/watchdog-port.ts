import type { SpawnableDef } from './context.ts';
import type { Protocol } from './protocol.ts';

/** One actor the watchdog keeps an eye on, as the runtime reports it. */
export interface WatchedActor {
  readonly path: string;
  /** When the running handler started (epoch ms); 0 when idle. */
  readonly handlerStartedAt: number;
  /** Last heartbeat (epoch ms); a handler's start counts as one. */
  readonly lastBeat: number;
  readonly maxHandlerMs: number | null;
  readonly heartbeatMs: number | null;
}

/** What the runtime hands the watchdog actor: a view of watched actors and the verdict. */
export interface WatchdogPort {
  watched(): WatchedActor[];
  /** The actor is hung: abandon its handler, fail its asker with `Hung`, let its supervisor act. */
  markHung(path: string, reason: string): void;
}

/** Arguments the system spawns the watchdog with. */
export interface WatchdogArgs {
  readonly port: WatchdogPort;
  readonly intervalMs: number;
}

/** A watchdog definition (runtime/watchdog-actor.ts is the default), made by defineActor. */
export type WatchdogDef = SpawnableDef<unknown, WatchdogArgs, Protocol>;

/** Missed heartbeats allowed before a handler counts as hung. */
export const MISSED_BEATS = 2;

/** Scan often enough to catch the tightest limit within a quarter of it. */
export function scanInterval(limitsMs: readonly number[]): number {
  const min = Math.min(...limitsMs, 4000);
  return Math.max(5, Math.min(1000, Math.floor(min / 4)));
}
