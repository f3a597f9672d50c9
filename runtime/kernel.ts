import type { AuditTrail } from './audit-trail.ts';
import type { ContextHost } from './cell-context.ts';
import type { CellHost } from './cell-types.ts';
import type { ChildSpawner } from './child-spawner.ts';
import type { DeadLetterOffice } from './dead-letter-office.ts';
import type { DeathWatch } from './death-watch.ts';
import type { EventBus } from './event-bus.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { NodeStats } from './node-stats.ts';
import type { Registry } from './registry.ts';
import type { ControlHost, RemoteControl } from './remote/remote-control.ts';
import type { Router } from './router.ts';
import type { ExitNotices } from './supervision/exit-notices.ts';
import type { SupervisionHost } from './supervision/supervision-host.ts';
import type { TelemetryPort } from './telemetry.ts';
import type { Transport, TransportHost } from './transport/transport.ts';
import type { WatchdogHost } from './watchdog-binding.ts';

/**
 * The kernel of one system: the named services and the hooks cells, contexts, supervision,
 * the control plane, the watchdog and the transport call. Each of those sees the narrow
 * host interface it declares; the kernel is all of them at once, so they receive it typed.
 * Users never see it: `ActorSystem` (system.ts) is the facade, and the few built-in parts
 * outside runtime/ that need a hook reach it through `kernelOf` (kernel-access.ts).
 */
export interface Kernel
  extends CellHost,
    ContextHost,
    SupervisionHost,
    ControlHost,
    WatchdogHost,
    TransportHost {
  readonly name: string;
  readonly node: string;
  readonly stats: NodeStats;
  telemetry: TelemetryPort | null;
  /** How messages leave the process; set once at start. */
  transport: Transport;
  /** Supervision across processes (NATS only), else null. */
  remote: RemoteControl | null;
  /** Cells, shards and names. */
  readonly registry: Registry;
  /** Send, request, receive, settle. */
  readonly router: Router;
  readonly deathWatch: DeathWatch;
  /** Start, quiescence, shutdown. */
  readonly lifecycle: Lifecycle;
  readonly events: EventBus;
  readonly deadLetters: DeadLetterOffice;
  readonly auditTrail: AuditTrail;
  /** Supervised, hosted and runtime children; the watchdog and process launcher. */
  readonly children: ChildSpawner;
  /** What a child's exit or failure tells its parent. */
  readonly exits: ExitNotices;
}
