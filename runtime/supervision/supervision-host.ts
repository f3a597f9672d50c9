import type { Logger } from 'pino';
import type { Cell } from '../cell.ts';
import type { RuntimeEvent } from '../events.ts';
import type { NormalizedChildSpec } from './child-spec.ts';

/**
 * A supervised child as its supervisor handles it: a local cell, or a proxy for a child
 * hosted by another process (runtime/remote).
 */
export interface Child {
  readonly path: string;
  /** Stopping or stopped. */
  readonly stopped: boolean;
  /** Crashed and waiting for its supervisor's decision. */
  readonly suspended: boolean;
  /** A remote child waiting for a node to host it (not started, not failed). */
  readonly waiting?: boolean;
  stop(reason: string, timeoutMs?: number): Promise<void>;
  /** Bring a suspended child back with its mailbox. */
  restartInPlace(): Promise<void>;
  /** Settles when the current incarnation's start hook has run (rejects if it failed). */
  whenStarted(): Promise<void>;
}

/** What the supervision engine needs from the system. */
export interface SupervisionHost {
  readonly log: Logger;
  /** The hidden root all top-level actors hang from. */
  readonly rootCell: Cell;
  emit(e: RuntimeEvent): void;
  /** Spawn a child from its spec under `parent` (a local cell is not yet placed in start order). */
  spawnSupervised(parent: Cell, spec: NormalizedChildSpec, restarts: number): Child;
  /** Tell `cell`'s parent that it exited (`shutdown` after giving up, `normal` when it stopped itself). */
  exited(cell: Cell, reason: string): void;
  /** Report a failure of `cell` to its own parent (escalation). */
  escalate(cell: Cell, reason: string): void;
}

/** What a parent hears about a child, as a system message. */
export type SupervisionMsg =
  | {
      readonly t: 'exit';
      readonly child: Child;
      readonly reason: string;
      /** A crash (exception, fail(), hang), as opposed to a stop. */
      readonly abnormal: boolean;
      /** `start`: its start hook failed; `message`: a handler failed; `exit`: it stopped. */
      readonly phase: 'start' | 'message' | 'exit';
    }
  | { readonly t: 'restart'; readonly ids: readonly string[] };

export const SYS_SUPERVISION = '$supervision';
