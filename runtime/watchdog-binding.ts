import type { Logger } from 'pino';
import type { Cell } from './cell.ts';
import type { ActorDef } from './define-actor.ts';
import { InvalidArgument } from './errors.ts';
import { Letter, LetterKind } from './letter.ts';
import { isActorDef } from './system-options.ts';
import {
  MISSED_BEATS,
  scanInterval,
  type WatchdogArgs,
  type WatchdogDef,
  type WatchdogPort,
} from './watchdog-port.ts';

/** What the binding needs from its system. */
export interface WatchdogHost {
  readonly log: Logger;
  cellAt(path: string): Cell | undefined;
  /** Spawn a runtime actor at `sys/<name>`. */
  spawnRuntimeActor(def: ActorDef, name: string, args: unknown): Cell;
}

const PATH = 'sys/watchdog';

/**
 * Connects the actors that declared handler limits to the watchdog actor: starts it on the
 * first such actor, tightens its scan interval as tighter limits arrive, and hands it a port
 * that reads the watched cells and delivers the verdict.
 */
export class WatchdogBinding {
  private readonly watched = new Set<Cell>();
  private warned = false;

  constructor(
    private readonly host: WatchdogHost,
    private readonly def: () => WatchdogDef | null,
  ) {}

  watch(cell: Cell): void {
    this.watched.add(cell);
    const intervalMs = scanInterval(
      [...this.watched].flatMap((w) => {
        const s = w.child;
        if (!s) return [];
        const limits: number[] = [];
        if (s.maxHandlerMs !== null) limits.push(s.maxHandlerMs);
        if (s.heartbeatMs !== null) limits.push(s.heartbeatMs * MISSED_BEATS);
        return limits;
      }),
    );
    const wd = this.host.cellAt(PATH);
    if (wd !== undefined && !wd.stopped) {
      wd.deliver(
        new Letter(LetterKind.tell, 'configure', { intervalMs }, null, null, 0, null, 0),
        false,
      );
      return;
    }
    const def = this.def();
    if (def === null) {
      if (!this.warned) {
        this.warned = true;
        this.host.log.warn(
          { actor: cell.path },
          'no watchdog configured: handler limits are not enforced',
        );
      }
      return;
    }
    const port: WatchdogPort = {
      watched: () =>
        [...this.watched].map((w) => ({
          path: w.path,
          handlerStartedAt: w.handlerStartedAt,
          lastBeat: w.lastBeat,
          maxHandlerMs: w.child?.maxHandlerMs ?? null,
          heartbeatMs: w.child?.heartbeatMs ?? null,
        })),
      markHung: (path, reason) => {
        const w = this.host.cellAt(path);
        if (w !== undefined && this.watched.has(w)) w.hang(reason);
      },
    };
    if (!isActorDef(def)) throw new InvalidArgument('the watchdog must be made by defineActor');
    this.host.spawnRuntimeActor(def, 'watchdog', {
      port,
      intervalMs,
    } satisfies WatchdogArgs);
  }

  unwatch(cell: Cell): void {
    this.watched.delete(cell);
  }
}
