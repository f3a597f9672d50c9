import { type ActorRef, isShardRef, parseRef } from './address.ts';
import type { Cell } from './cell.ts';
import type { AskOptions } from './context.ts';
import { DeadLetters } from './dead-letters.ts';
import type { ActorDef } from './define-actor.ts';
import { InvalidArgument, NoSuchActor, Stopped } from './errors.ts';
import type { Kernel } from './kernel.ts';
import { KernelService } from './kernel-service.ts';
import { RemoteControl } from './remote/remote-control.ts';
import { isSupervisorDef } from './supervision/child-spec.ts';
import { MAX_TIMER_MS } from './system-options.ts';
import { natsTransport } from './transport/nats.ts';
import type { NatsOptions } from './transport/nats-options.ts';

/** The system's life: start, quiescence (no mail, no running handler), graceful shutdown. */
export class Lifecycle extends KernelService {
  state: 'running' | 'shutting-down' | 'down' = 'running';
  private active = 0;
  private quiescentWaiters: (() => void)[] = [];

  constructor(
    k: Kernel,
    private readonly shutdownTimeoutMs: number,
    private readonly heartbeatMs: number,
  ) {
    super(k);
  }

  private get stopTimeoutMs(): number {
    return this.k.stopTimeoutMs;
  }

  /** Connect the transport (and, on NATS, the control plane), then the runtime's own actors. */
  async start(nats: NatsOptions | null): Promise<void> {
    const sys = this.k;
    if (nats !== null) sys.transport = natsTransport(nats);
    await sys.transport.start(sys);
    const nc = sys.transport.connection;
    if (nc !== undefined) {
      const who = nats !== null && nats.user !== undefined ? `${nats.user}@${sys.node}` : sys.node;
      sys.remote = new RemoteControl(nc, sys, this.heartbeatMs, who);
      sys.remote.start();
    }
    sys.registry.spawnAt(this.root, DeadLetters as ActorDef, 'dead-letters', undefined, null, true);
    sys.log.debug({ transport: sys.transport.kind }, 'system started');
  }

  /**
   * Resolves when a local actor's start hook has run; for a supervisor, that is when its
   * whole subtree has started, in order. Rejects if the start failed.
   */
  started(ref: ActorRef): Promise<void> {
    const r = parseRef(ref);
    if (isShardRef(r)) return Promise.reject(new InvalidArgument('started needs an actor ref'));
    const cell = this.cells.get(r.path);
    if (cell === undefined) return Promise.reject(new NoSuchActor(r.path));
    return cell.whenStarted();
  }

  /** Every top-level actor of this process has started (supervisors: their whole trees). */
  async allStarted(): Promise<void> {
    const tops: Promise<void>[] = [];
    for (let c = this.root.firstChild; c !== null; c = c.next) tops.push(c.whenStarted());
    await Promise.all(tops);
  }

  /** Stop an actor of this process (and its children). */
  async stop(ref: ActorRef): Promise<void> {
    const r = parseRef(ref);
    if (isShardRef(r)) throw new InvalidArgument('stop needs an actor ref, not a shard ref');
    const cell = this.cells.get(r.path);
    if (!cell) throw new NoSuchActor(r.path);
    if (cell.path.startsWith('sys/'))
      throw new InvalidArgument(`${cell.path} belongs to the runtime`);
    const parent = cell.parent;
    if (parent !== null && isSupervisorDef(parent.def) && !parent.stopped) {
      // A supervised child is stopped through its supervisor (OTP terminate_child), or it
      // would simply be restarted.
      const id = cell.path.slice(cell.path.lastIndexOf('/') + 1);
      await this.ask(parent.ref, 'terminateChild', { id }, { timeout: this.stopTimeoutMs + 5_000 });
      return;
    }
    await cell.stop('stopped');
  }

  stopFrom(from: Cell, ref?: ActorRef): Promise<void> {
    if (ref === undefined || ref.path === from.path) return from.stopSelf();
    const cell = this.cells.get(ref.path);
    if (!cell) return Promise.reject(new NoSuchActor(ref.path));
    if (cell.parent !== from) {
      return Promise.reject(
        new InvalidArgument(`${from.path} can stop itself and its children, not ${ref.path}`),
      );
    }
    return cell.stop('stopped by parent');
  }

  private ask(to: ActorRef, type: string, body: unknown, opts: AskOptions): Promise<unknown> {
    if (this.state !== 'running')
      return Promise.reject(new Stopped(this.k.name, 'system is shutting down'));
    return this.k.router.request(null, null, to, type, body, opts);
  }

  activity(delta: 1 | -1): void {
    this.active += delta;
    if (this.active === 0 && this.quiescentWaiters.length > 0) {
      const w = this.quiescentWaiters;
      this.quiescentWaiters = [];
      for (const f of w) f();
    }
  }

  /** Resolves when no actor has mail or a running handler. */
  whenQuiescent(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((res) => this.quiescentWaiters.push(res));
  }

  /**
   * Graceful shutdown: let every mailbox drain, then stop top-level actors in reverse spawn
   * order (each stops its children first), all within `timeoutMs`. What is left after the
   * deadline is refused with Stopped or sent to dead letters; then the transport closes.
   */
  async shutdown(opts?: { timeoutMs?: number }): Promise<void> {
    const timeoutMs = opts?.timeoutMs ?? this.shutdownTimeoutMs;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || timeoutMs > MAX_TIMER_MS)
      throw new InvalidArgument(`shutdown timeoutMs must be in [0, ${MAX_TIMER_MS}] ms`);
    if (this.state !== 'running') return;
    this.state = 'shutting-down';
    const deadline = Date.now() + timeoutMs;
    const remaining = (): number => Math.max(0, deadline - Date.now());
    await race(this.whenQuiescent(), remaining());
    const stopAll = async (): Promise<void> => {
      for (let c = this.root.lastChild; c !== null; ) {
        const prev = c.prev;
        if (!c.path.startsWith('sys/')) await c.stop('system shutdown');
        c = prev;
      }
      for (let c = this.root.lastChild; c !== null; ) {
        const prev = c.prev;
        await c.stop('system shutdown');
        c = prev;
      }
    };
    await race(stopAll(), remaining());
    this.k.router.wheel.rejectAll((p) => new Stopped(p.target, 'not answered: system shut down'));
    this.state = 'down';
    this.k.remote?.close();
    try {
      await this.k.auditTrail.auditSink.flush();
    } catch (err) {
      this.log.error({ err }, 'audit sink did not flush at shutdown');
    }
    await this.k.transport.close();
    this.log.debug('system shut down');
  }

  assertRunning(): void {
    if (this.state !== 'running') throw new Stopped(this.name, 'system is shutting down');
  }
}

function race(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((res) => {
    const t = setTimeout(res, ms);
    p.then(
      () => {
        clearTimeout(t);
        res();
      },
      () => {
        clearTimeout(t);
        res();
      },
    );
  });
}
