import type { Logger } from 'pino';
import type { Envelope } from '../protocols/envelope/index.ts';
import type { ActorRef } from './address.ts';
import { AuditTrail } from './audit-trail.ts';
import type { Cell } from './cell.ts';
import type { FailurePhase } from './cell-types.ts';
import { ChildSpawner } from './child-spawner.ts';
import type { SpawnableDef, SpawnOptions, Terminated, Timers } from './context.ts';
import { DeadLetterOffice } from './dead-letter-office.ts';
import { DeathWatch } from './death-watch.ts';
import type { ActorDef } from './define-actor.ts';
import { EventBus } from './event-bus.ts';
import type { RuntimeEvent } from './events.ts';
import type { Kernel } from './kernel.ts';
import { Letter, LetterKind } from './letter.ts';
import { Lifecycle } from './lifecycle.ts';
import { type NodeStats, newNodeStats } from './node-stats.ts';
import type { ReplyTarget } from './pending-ask.ts';
import type { ProcessInfo, ProcessLauncher } from './process-port.ts';
import type { Protocol } from './protocol.ts';
import { Registry } from './registry.ts';
import type { SpawnRequest, TreeRow } from './remote/control-protocol.ts';
import type { RemoteControl } from './remote/remote-control.ts';
import { treeRowsOf } from './remote/tree-rows.ts';
import { Router } from './router.ts';
import type { NormalizedChildSpec } from './supervision/child-spec.ts';
import { ExitNotices } from './supervision/exit-notices.ts';
import type { Child } from './supervision/supervision-host.ts';
import type { TelemetryPort } from './telemetry.ts';
import { CellTimers } from './timers.ts';
import { newTraceparent } from './trace.ts';
import { memoryTransport, type Transport } from './transport/transport.ts';
import type { WatchdogDef } from './watchdog-port.ts';

/** What a kernel is made from (system options, resolved). */
export interface KernelConfig {
  readonly name: string;
  readonly node: string;
  readonly log: Logger;
  readonly stopTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly watchdog: WatchdogDef | null;
  /** The process launcher, read when a `start.process` child is spawned. */
  readonly processes: () => ProcessLauncher | null;
}

/**
 * The kernel of one system: owns the services and answers the hooks of cells, contexts,
 * supervision, the control plane, the watchdog and the transport by handing each to the
 * service it belongs to.
 */
export class SystemKernel implements Kernel {
  readonly name: string;
  readonly node: string;
  readonly log: Logger;
  readonly stopTimeoutMs: number;
  /** Metrics and tracing, set by actors/telemetry (setTelemetry); null when off. */
  telemetry: TelemetryPort | null = null;
  transport: Transport = memoryTransport();
  remote: RemoteControl | null = null;
  /** Live loss and refusal counters; transport and control plane add to them. */
  readonly stats: NodeStats = newNodeStats();
  readonly events: EventBus;
  readonly deadLetters: DeadLetterOffice;
  readonly auditTrail: AuditTrail;
  readonly lifecycle: Lifecycle;
  readonly registry: Registry;
  readonly router: Router;
  readonly deathWatch: DeathWatch;
  readonly children: ChildSpawner;
  readonly exits: ExitNotices;
  /** An agent process reports its pid, rss, cpu, workspace and log file in its tree rows. */
  processInfo: ((path: string) => ProcessInfo | undefined) | null = null;
  private readonly actorLoggers = new WeakMap<Cell, Logger>();
  private readonly actorTimers = new WeakMap<Cell, Timers>();

  constructor(c: KernelConfig) {
    this.name = c.name;
    this.node = c.node;
    this.log = c.log;
    this.stopTimeoutMs = c.stopTimeoutMs;
    this.events = new EventBus(this);
    this.deadLetters = new DeadLetterOffice(this);
    this.auditTrail = new AuditTrail(c.name, c.node);
    this.lifecycle = new Lifecycle(this, c.shutdownTimeoutMs, c.heartbeatMs);
    this.children = new ChildSpawner(this, c.processes, c.watchdog);
    this.router = new Router(this);
    this.deathWatch = new DeathWatch(this);
    this.exits = new ExitNotices(this);
    this.registry = new Registry(this);
  }

  get rootCell(): Cell {
    return this.registry.root;
  }

  // ---- cells ------------------------------------------------------------------------------

  activity(delta: 1 | -1): void {
    this.lifecycle.activity(delta);
  }
  emit(e: RuntimeEvent): void {
    this.events.emit(e);
  }
  hasListeners(): boolean {
    return this.events.hasListeners();
  }
  deadLetter(to: string, letter: Letter, reason: string): void {
    this.deadLetters.deadLetter(to, letter, reason);
  }
  unregister(cell: Cell): void {
    this.registry.unregister(cell);
  }
  onFailure(cell: Cell, reason: string, error: unknown, phase: FailurePhase): void {
    this.exits.onFailure(cell, reason, error, phase);
  }
  onSelfStop(cell: Cell, reason: string): void {
    this.exits.onSelfStop(cell, reason);
  }
  supervise(cell: Cell, msg: unknown): Promise<unknown> | undefined {
    return this.exits.supervise(cell, msg);
  }
  notifyTerminated(watcher: string, t: Terminated): void {
    this.deathWatch.notifyTerminated(watcher, t);
  }
  cellAt(path: string): Cell | undefined {
    return this.registry.cellAt(path);
  }

  // ---- contexts ---------------------------------------------------------------------------

  spawnChild(
    parent: Cell,
    def: SpawnableDef<unknown, unknown, Protocol>,
    opts?: SpawnOptions<unknown>,
  ): ActorRef {
    return this.registry.spawnChild(parent, def, opts);
  }
  stopFrom(from: Cell, ref?: ActorRef): Promise<void> {
    return this.lifecycle.stopFrom(from, ref);
  }
  watchFrom(from: Cell, ref: ActorRef): void {
    this.deathWatch.watchFrom(from, ref);
  }
  unwatchFrom(from: Cell, ref: ActorRef): void {
    this.deathWatch.unwatchFrom(from, ref);
  }
  audit(kind: string, data?: Record<string, unknown>, actor?: string): void {
    this.auditTrail.audit(kind, data, actor);
  }

  loggerFor(cell: Cell): Logger {
    let l = this.actorLoggers.get(cell);
    if (!l) {
      l = this.log.child({ actor: cell.path });
      this.actorLoggers.set(cell, l);
    }
    return l;
  }

  timersFor(cell: Cell): Timers {
    let t = this.actorTimers.get(cell);
    if (!t) {
      t = new CellTimers(cell, (c, type, body) => {
        if (c.stopped) return;
        c.deliver(
          new Letter(LetterKind.tell, type, body, c.path, null, 0, newTraceparent(), 0),
          false,
        );
      });
      this.actorTimers.set(cell, t);
    }
    return t;
  }

  // ---- supervision, control plane, watchdog -------------------------------------------------

  spawnSupervised(parent: Cell, spec: NormalizedChildSpec, restarts: number): Child {
    return this.children.spawnSupervised(parent, spec, restarts);
  }
  spawnHosted(def: ActorDef, req: SpawnRequest): Cell {
    return this.children.spawnHosted(def, req);
  }
  spawnRuntimeActor(def: ActorDef, name: string, args: unknown): Cell {
    return this.children.spawnRuntimeActor(def, name, args);
  }
  exited(cell: Cell, reason: string): void {
    this.exits.exited(cell, reason);
  }
  escalate(cell: Cell, reason: string): void {
    this.exits.escalate(cell, reason);
  }

  /** Every actor of this node as `troupe tree` shows it, depth first in start order. */
  treeRows(): TreeRow[] {
    const rows = treeRowsOf(this.registry.root, this.node);
    const info = this.processInfo;
    if (info === null) return rows;
    return rows.map((r) => {
      const p = info(r.path);
      return p === undefined ? r : { ...r, process: p };
    });
  }

  // ---- transport --------------------------------------------------------------------------

  receive(env: Envelope, body: unknown, reply: ReplyTarget | null): void {
    this.router.receive(env, body, reply);
  }
  settle(env: Envelope): void {
    this.router.settle(env);
  }
  refuse(corrs: readonly number[], err: Error): void {
    this.router.refuse(corrs, err);
  }
  noResponders(corrs: readonly number[]): void {
    this.router.noResponders(corrs);
  }
}
