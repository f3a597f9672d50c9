import type { NatsConnection } from '@nats-io/transport-node';
import pino, { type Logger } from 'pino';
import type { ActorRef, Ref } from './address.ts';
import type { AuditSink } from './audit.ts';
import type { AskOptions, SpawnableDef, SpawnOptions, TellOptions, Terminated } from './context.ts';
import { DEAD_LETTERS_PATH, type DeadLetter, type DeadLetters } from './dead-letters.ts';
import { InvalidArgument, Stopped } from './errors.ts';
import type { EventListener } from './events.ts';
import { registerKernel } from './kernel-access.ts';
import type { NodeStats } from './node-stats.ts';
import type { ProcessInfo, ProcessLauncher } from './process-port.ts';
import type { AskBody, AskReply, AskType, Protocol, TellBody, TellType } from './protocol.ts';
import type { TreeRow } from './remote/control-protocol.ts';
import { SystemKernel } from './system-kernel.ts';
import { isActorDef, nodeId, type SystemOptions, SystemOptionsSchema } from './system-options.ts';
import type { TelemetryPort } from './telemetry.ts';
import { Watchdog } from './watchdog-actor.ts';

/**
 * A running troupe: the actors of one process under one system name, connected through a
 * transport (`memory`, the embedded default, or `nats`). Same semantics either way; with
 * NATS, a target in this process is still delivered directly, without a broker hop.
 *
 * A facade: the kernel (system-kernel.ts) and its services do the work; this class holds it
 * privately and forwards what users call.
 */
export class ActorSystem {
  readonly name: string;
  readonly node: string;
  readonly log: Logger;
  readonly stopTimeoutMs: number;
  readonly #k: SystemKernel;

  protected constructor(k: SystemKernel) {
    this.#k = k;
    this.name = k.name;
    this.node = k.node;
    this.log = k.log;
    this.stopTimeoutMs = k.stopTimeoutMs;
    registerKernel(this, k);
  }

  /**
   * Starts `start.process` children unless the system options name one (troupe's entry point
   * sets it: deploy/system-defaults.ts). The watchdog needs no such default: it is the kernel's.
   */
  static defaultProcessLauncher: ProcessLauncher | null = null;

  /** Start a system. Without a transport it runs embedded, with no broker. */
  static async start(options: SystemOptions): Promise<ActorSystem> {
    const { logger, audit, watchdog, processes, ...rest } = (options ?? {}) as SystemOptions;
    const parsed = SystemOptionsSchema.safeParse(rest);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new InvalidArgument(
        `invalid system options: ${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
      );
    }
    if (watchdog !== undefined && watchdog !== null && !isActorDef(watchdog))
      throw new InvalidArgument('system option watchdog must be made by defineActor (or null)');
    const o = parsed.data;
    const name = o.name;
    const node = o.node ?? nodeId();
    const level = o.logLevel ?? process.env.TROUPE_LOG_LEVEL ?? 'info';
    const k = new SystemKernel({
      name,
      node,
      log: (logger ?? pino({ level }, pino.destination(2))).child({ system: name, node }),
      stopTimeoutMs: o.stopTimeoutMs ?? 5_000,
      shutdownTimeoutMs: o.shutdownTimeoutMs ?? 10_000,
      heartbeatMs: o.heartbeatMs ?? 1_000,
      watchdog: watchdog === undefined ? Watchdog : watchdog,
      processes: () => processes ?? ActorSystem.defaultProcessLauncher,
    });
    if (o.deadLetterBodyBytes !== undefined)
      k.deadLetters.deadLetterBodyBytes = o.deadLetterBodyBytes;
    if (audit !== undefined) k.auditTrail.auditSink = audit;
    const sys = new ActorSystem(k);
    await k.lifecycle.start(o.transport?.kind === 'nats' ? o.transport : null);
    return sys;
  }

  /** Metrics and tracing, set by actors/telemetry (setTelemetry); null when off. */
  get telemetry(): TelemetryPort | null {
    return this.#k.telemetry;
  }

  /** Live loss and refusal counters (`counters()` copies them); transport and control plane add to them. */
  get stats(): NodeStats {
    return this.#k.stats;
  }

  get transportKind(): 'memory' | 'nats' {
    return this.#k.transport.kind;
  }

  /**
   * Wait until everything sent so far, and every actor spawned so far, has reached the
   * broker. NATS orders one connection's traffic, so a node that learns of an actor from a
   * message sent after its spawn can always reach it; a node told out of band needs this.
   */
  flush(): Promise<void> {
    return this.#k.transport.flush();
  }

  /**
   * Resolves when a local actor's start hook has run; for a supervisor, that is when its
   * whole subtree has started, in order. Rejects if the start failed.
   */
  started(ref: ActorRef): Promise<void> {
    return this.#k.lifecycle.started(ref);
  }

  /** Every top-level actor of this process has started (supervisors: their whole trees). */
  allStarted(): Promise<void> {
    return this.#k.lifecycle.allStarted();
  }

  /** The ref of a local actor, if one lives at `path`. */
  lookup<P extends Protocol = Protocol>(path: string): ActorRef<P> | undefined {
    return this.#k.registry.lookup<P>(path);
  }

  /** Local actor paths, in no particular order (for tools). */
  paths(): string[] {
    return this.#k.registry.paths();
  }

  get deadLettersRef(): ActorRef<ProtocolOfDeadLetters> {
    return { system: this.name, path: DEAD_LETTERS_PATH };
  }

  /**
   * The most recent dead letters and the exact total count (the recorder keeps a bounded
   * number of records, each with a body cut to `deadLetterBodyBytes`).
   */
  async deadLetters(limit?: number): Promise<{ count: number; letters: DeadLetter[] }> {
    const r = await this.ask(this.deadLettersRef, 'recent', limit ? { limit } : {}, {
      timeout: 5_000,
    });
    return { count: this.stats.deadLetters, letters: r.letters };
  }

  /** A copy of this node's loss and refusal counters (docs/operations.md lists each). */
  counters(): NodeStats {
    return { ...this.stats };
  }

  spawn<S, A, P extends Protocol>(def: SpawnableDef<S, A, P>, opts?: SpawnOptions<A>): ActorRef<P> {
    this.#k.lifecycle.assertRunning();
    return this.#k.registry.spawnChild(
      this.#k.registry.root,
      def as SpawnableDef<unknown, unknown, Protocol>,
      opts,
    ) as ActorRef<P>;
  }

  tell<P extends Protocol, K extends TellType<P>>(
    to: Ref<P>,
    type: K,
    body: TellBody<P, K>,
    opts?: TellOptions,
  ): void {
    this.#k.lifecycle.assertRunning();
    this.#k.router.send(null, null, to, type, body, opts);
  }

  ask<P extends Protocol, K extends AskType<P>>(
    to: Ref<P>,
    type: K,
    body: AskBody<P, K>,
    opts: AskOptions,
  ): Promise<AskReply<P, K>> {
    if (this.#k.lifecycle.state !== 'running')
      return Promise.reject(new Stopped(this.name, 'system is shutting down'));
    return this.#k.router.request(null, null, to, type, body, opts) as Promise<AskReply<P, K>>;
  }

  /** Whether an actor answers at `ref`, here or on another node; false at once when none does. */
  exists(ref: ActorRef, timeoutMs = 2_000): Promise<boolean> {
    return this.#k.router.exists(ref, timeoutMs);
  }

  /**
   * A tell to an actor on another node that waits for the target's verdict: resolves once the
   * message passed its schema and sits in the mailbox; rejects with the reason it became a
   * dead letter (Rejected, Stopped, MailboxFull), NoSuchActor, or Timeout. Nodes from before
   * this message answer InvalidArgument.
   */
  tellConfirmed(ref: ActorRef, type: string, body: unknown, timeoutMs = 5_000): Promise<void> {
    return this.#k.router.tellConfirmed(ref, type, body, timeoutMs);
  }

  /** Stop an actor of this process (and its children). */
  stop(ref: ActorRef): Promise<void> {
    return this.#k.lifecycle.stop(ref);
  }

  /**
   * Resolves when a local actor stops, with why (at once, `noSuchActor` or `stopped`, if it is
   * not running). Costs a waiter on that actor only: await as many as you like.
   */
  terminated(ref: ActorRef): Promise<Terminated> {
    return this.#k.deathWatch.terminated(ref);
  }

  /** @deprecated Use `terminated(ref)`. */
  whenTerminated(ref: ActorRef): Promise<Terminated> {
    return this.#k.deathWatch.terminated(ref);
  }

  /** Resolves when no actor has mail or a running handler. */
  whenQuiescent(): Promise<void> {
    return this.#k.lifecycle.whenQuiescent();
  }

  /**
   * Graceful shutdown: let every mailbox drain, then stop top-level actors in reverse spawn
   * order (each stops its children first), all within `timeoutMs`. What is left after the
   * deadline is refused with Stopped or sent to dead letters; then the transport closes.
   */
  shutdown(opts?: { timeoutMs?: number }): Promise<void> {
    return this.#k.lifecycle.shutdown(opts);
  }

  /**
   * Offer these actor types to supervisors on other nodes: a child spec with `node` set to
   * this node's name (or `*`) is started here, and its exits are reported back.
   */
  host(...defs: SpawnableDef<unknown, unknown, Protocol>[]): void {
    this.#k.children.host(...defs);
  }

  /** Every actor of this node as `troupe tree` shows it, depth first in start order. */
  treeRows(): TreeRow[] {
    return this.#k.treeRows();
  }

  /** An agent process reports its pid, rss, cpu, workspace and log file in its tree rows. */
  setProcessInfo(info: ((path: string) => ProcessInfo | undefined) | null): void {
    this.#k.processInfo = info;
  }

  /** The sink audit events go to (the ledger's, once one is attached). */
  get auditLog(): AuditSink {
    return this.#k.auditTrail.auditSink;
  }

  /** Swap the audit sink, e.g. when the ledger actor starts; returns the previous one. */
  setAuditSink(sink: AuditSink): AuditSink {
    return this.#k.auditTrail.setSink(sink);
  }

  /** Record an audit event on behalf of `actor` (default: the runtime itself). */
  audit(
    kind: string,
    data?: Record<string, unknown>,
    actor = 'sys/runtime',
    trace: string | null = null,
  ): void {
    this.#k.auditTrail.audit(kind, data, actor, trace);
  }

  /** The NATS connection under the transport, for built-in actors (bridge, ledger); undefined when embedded. */
  get nats(): NatsConnection | undefined {
    return this.#k.transport.connection;
  }

  /** Attach metrics and tracing (actors/telemetry does); null detaches. Returns the previous port. */
  setTelemetry(port: TelemetryPort | null): TelemetryPort | null {
    const prev = this.#k.telemetry;
    this.#k.telemetry = port;
    return prev;
  }

  /** Listen to runtime events (started, stopped, failed, restarted, deadLetter). */
  on(listener: EventListener): () => void {
    return this.#k.events.on(listener);
  }
}

type ProtocolOfDeadLetters = NonNullable<(typeof DeadLetters)['__protocol']>;
