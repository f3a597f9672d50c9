import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { NormalizedChildSpec } from './supervision/child-spec.ts';
import type { ProcessStart } from './supervision/process-spec.ts';
import type { Child } from './supervision/supervision-host.ts';

/** What a process launcher learns about one child to start (actors/process implements it). */
export interface ProcessChildRequest {
  readonly system: string;
  /** The node of the supervising system. */
  readonly node: string;
  /** Path of the child: `<supervisor path>/<id>`. */
  readonly path: string;
  readonly supervisorPath: string;
  /** The child's type (its definition's `type`). */
  readonly type: string;
  readonly args: unknown;
  readonly spec: NormalizedChildSpec;
  readonly process: ProcessStart;
  /** Restarts so far (0 for the first start). */
  readonly restarts: number;
  readonly log: Logger;
  /** The supervising system's NATS connection, when it runs on NATS. */
  readonly nc: NatsConnection | undefined;
  /** Record an audit event for the child (started, exited: the ledger keeps them). */
  audit(kind: string, data: Record<string, unknown>): void;
  /** The child exited: hand it to its supervisor like a local child's exit. */
  exited(
    child: Child,
    reason: string,
    abnormal: boolean,
    phase: 'start' | 'message' | 'exit',
  ): void;
}

/** Starts children whose spec says `start.process` (set with ActorSystem.defaultProcessLauncher). */
export interface ProcessLauncher {
  spawn(req: ProcessChildRequest): Child;
}

/** What `troupe ps` shows of an agent's OS process (a tree row's optional `process`). */
export interface ProcessInfo {
  readonly pid: number;
  readonly rssBytes: number;
  readonly cpuMs: number;
  readonly workspace: string;
  readonly logFile: string;
}
