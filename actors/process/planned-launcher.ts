import type { Child, ProcessChildRequest, ProcessLauncher } from '../../runtime/index.ts';
import type { AgentPlace } from './nats-permissions.ts';

/** A child that only stands in for a process agent while a tree is laid out (never runs). */
class PlannedChild implements Child {
  stopped = false;
  readonly suspended = false;
  constructor(readonly path: string) {}
  async stop(): Promise<void> {
    this.stopped = true;
  }
  async restartInPlace(): Promise<void> {}
  whenStarted(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A launcher that starts nothing and records each process agent's place (path and peers):
 * run a module's setup with it to learn the tree `troupe nats-config` writes users for.
 */
export class PlanningLauncher implements ProcessLauncher {
  private readonly seen = new Map<string, AgentPlace>();

  spawn(req: ProcessChildRequest): Child {
    this.seen.set(req.path, { path: req.path, peers: req.process.peers ?? [] });
    return new PlannedChild(req.path);
  }

  get agents(): AgentPlace[] {
    return [...this.seen.values()];
  }
}
