import { pathSegments } from './address.ts';
import type { Cell } from './cell.ts';
import type { CellOptions } from './cell-types.ts';
import type { SpawnableDef } from './context.ts';
import type { ActorDef } from './define-actor.ts';
import { InvalidArgument } from './errors.ts';
import type { Kernel } from './kernel.ts';
import { KernelService } from './kernel-service.ts';
import { mailboxSettings } from './mailbox-settings.ts';
import type { ProcessLauncher } from './process-port.ts';
import type { Protocol } from './protocol.ts';
import type { SpawnRequest } from './remote/control-protocol.ts';
import type { NormalizedChildSpec } from './supervision/child-spec.ts';
import type { Child } from './supervision/supervision-host.ts';
import { isActorDef } from './system-options.ts';
import { WatchdogBinding } from './watchdog-binding.ts';
import type { WatchdogDef } from './watchdog-port.ts';

/**
 * Children the runtime starts on a supervisor's or another node's behalf: supervised children
 * from their specs (here, on another node, or as an OS process), children hosted here for a
 * supervisor elsewhere, and the runtime's own actors under `sys/`. Children with handler
 * limits are handed to the watchdog.
 */
export class ChildSpawner extends KernelService {
  readonly watchdog: WatchdogBinding;

  constructor(
    k: Kernel,
    /** Starts `start.process` children (read at spawn); null: such a child is refused. */
    private readonly processLauncher: () => ProcessLauncher | null,
    /** The watchdog actor; null turns handler limits off (with a warning on first use). */
    watchdogDef: WatchdogDef | null,
  ) {
    super(k);
    this.watchdog = new WatchdogBinding(k, () => watchdogDef);
  }

  /**
   * Offer these actor types to supervisors on other nodes: a child spec with `node` set to
   * this node's name (or `*`) is started here, and its exits are reported back.
   */
  host(...defs: SpawnableDef<unknown, unknown, Protocol>[]): void {
    if (this.remote === null)
      throw new InvalidArgument('hosting children for other nodes needs the NATS transport');
    const checked: ActorDef[] = [];
    for (const d of defs) {
      if (!isActorDef(d)) throw new InvalidArgument('host needs definitions made by defineActor');
      checked.push(d);
    }
    this.remote.host(checked);
  }

  spawnHosted(def: ActorDef, req: SpawnRequest): Cell {
    pathSegments(req.path);
    const s = req.settings;
    const cellOpts: CellOptions = {
      ...mailboxSettings(undefined, def.mailbox),
      shard: false,
      child: {
        restart: s.restart,
        shutdownMs: s.shutdownMs ?? Number.POSITIVE_INFINITY,
        maxHandlerMs: s.maxHandlerMs,
        heartbeatMs: s.heartbeatMs,
      },
      remote: req.supervisor,
    };
    const cell = this.k.registry.spawnAt(
      this.k.registry.root,
      def,
      req.path,
      req.args,
      cellOpts,
      false,
    );
    if (req.restarts > 0) cell.extras().restarts = req.restarts;
    if (s.maxHandlerMs !== null || s.heartbeatMs !== null) this.watchdog.watch(cell);
    return cell;
  }

  spawnRuntimeActor(def: ActorDef, name: string, args: unknown): Cell {
    return this.k.registry.spawnAt(this.k.registry.root, def, name, args, null, true);
  }

  /** Spawn a supervised child from its normalized spec (name = spec id). */
  spawnSupervised(parent: Cell, spec: NormalizedChildSpec, restarts: number): Child {
    const def = spec.start.def;
    if (!isActorDef(def)) throw new InvalidArgument(`child ${spec.id}: start.def is not an actor`);
    const proc = spec.start.process;
    if (proc !== undefined) {
      const launcher = this.processLauncher();
      if (launcher === null || spec.node !== undefined) {
        throw new InvalidArgument(
          launcher === null
            ? `child ${spec.id} runs as a process: no process launcher (import troupe or actors/process)`
            : `child ${spec.id}: start.process and node cannot be combined`,
        );
      }
      return launcher.spawn({
        system: this.name,
        node: this.node,
        path: `${parent.path}/${spec.id}`,
        supervisorPath: parent.path,
        type: def.type,
        args: spec.start.args,
        spec,
        process: proc,
        restarts,
        log: this.log,
        nc: this.transport.connection,
        audit: (kind, data) => this.k.audit(kind, data, `${parent.path}/${spec.id}`),
        exited: (child, reason, abnormal, phase) =>
          this.k.exits.childExited(parent, child, reason, abnormal, phase),
      });
    }
    if (spec.node !== undefined) {
      if (this.remote === null) {
        throw new InvalidArgument(
          `child ${spec.id} runs on node ${spec.node}: that needs the NATS transport`,
        );
      }
      return this.remote.spawnChild(
        parent,
        spec,
        {
          restart: spec.restart,
          shutdownMs: spec.shutdownMs,
          maxHandlerMs: spec.maxHandlerMs ?? null,
          heartbeatMs: spec.heartbeatMs ?? null,
        },
        restarts,
      );
    }
    const cellOpts: CellOptions = {
      ...mailboxSettings(spec.start.mailbox, def.mailbox),
      shard: spec.start.shard === true,
      child: {
        restart: spec.restart,
        shutdownMs: spec.shutdownMs,
        maxHandlerMs: spec.maxHandlerMs ?? null,
        heartbeatMs: spec.heartbeatMs ?? null,
      },
    };
    const cell = this.k.registry.spawnAt(parent, def, spec.id, spec.start.args, cellOpts, false);
    if (restarts > 0) cell.extras().restarts = restarts;
    if (spec.maxHandlerMs !== undefined || spec.heartbeatMs !== undefined)
      this.watchdog.watch(cell);
    return cell;
  }
}
