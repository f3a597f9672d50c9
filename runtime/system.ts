import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import pino, { type Logger } from 'pino';
import type { z } from 'zod';
import { decodeBody, type Envelope, encodeBody, Kind } from '../protocols/envelope/index.ts';
import {
  type ActorRef,
  assertToken,
  checkRemoteRef,
  isShardRef,
  isToken,
  parseRef,
  pathSegments,
  qualifiedFrom,
  type Ref,
  targetOf,
} from './address.ts';
import { AuditData, AuditKind, type AuditSink, MemoryAuditSink } from './audit.ts';
import { Cell, type CellHost, type CellOptions, type FailurePhase } from './cell.ts';
import type { ContextHost } from './cell-context.ts';
import type {
  AskOptions,
  OverflowPolicy,
  SpawnableDef,
  SpawnOptions,
  TellOptions,
  Terminated,
  Timers,
} from './context.ts';
import { DEAD_LETTERS_PATH, type DeadLetter, DeadLetters } from './dead-letters.ts';
import { type ActorDef, defineActor } from './define-actor.ts';
import {
  fromWireError,
  Hung,
  InvalidArgument,
  NoSuchActor,
  Rejected,
  Stopped,
  Timeout,
} from './errors.ts';
import type { EventListener, RuntimeEvent } from './events.ts';
import { Letter, LetterKind, SYS_TERMINATED } from './letter.ts';
import { isMailboxCapacity } from './mailbox/index.ts';
import { type NodeStats, newNodeStats } from './node-stats.ts';
import { DeadlineWheel, PendingAsk, type ReplyTarget } from './pending-ask.ts';
import type { ProcessInfo, ProcessLauncher } from './process-port.ts';
import type { AskBody, AskReply, AskType, Protocol, TellBody, TellType } from './protocol.ts';
import type { SpawnRequest, TreeRow } from './remote/control-protocol.ts';
import { RemoteControl } from './remote/remote-control.ts';
import { treeRowsOf } from './remote/tree-rows.ts';
import { isSupervisorDef, type NormalizedChildSpec } from './supervision/child-spec.ts';
import { defaultDirective } from './supervision/default-directive.ts';
import type { Child } from './supervision/supervision-host.ts';
import { type SupervisionMsg, SYS_SUPERVISION } from './supervision/supervision-host.ts';
import { type SupervisorState, superviseIn } from './supervision/supervisor.ts';
import {
  checkAskOptions,
  isActorDef,
  MAX_TIMER_MS,
  nodeId,
  type SystemOptions,
  SystemOptionsSchema,
} from './system-options.ts';
import type { TelemetryPort } from './telemetry.ts';
import { CellTimers } from './timers.ts';
import { childTraceparent, isTraceparent, newTraceparent, traceIdOf } from './trace.ts';
import { natsTransport } from './transport/nats.ts';
import { memoryTransport, type Transport, type TransportHost } from './transport/transport.ts';
import { WatchdogBinding } from './watchdog-binding.ts';
import type { WatchdogDef } from './watchdog-port.ts';

const RootDef = defineActor({ type: 'root', state: () => null, handle: {} });
const MAX_HOPS = 32;

/**
 * A running troupe: the actors of one process under one system name, connected through a
 * transport (`memory`, the embedded default, or `nats`). Same semantics either way; with
 * NATS, a target in this process is still delivered directly, without a broker hop.
 */
export class ActorSystem implements CellHost, ContextHost, TransportHost {
  readonly name: string;
  readonly node: string;
  readonly log: Logger;
  readonly stopTimeoutMs: number;
  /** Metrics and tracing, set by actors/telemetry (setTelemetry); null when off. */
  telemetry: TelemetryPort | null = null;
  private readonly shutdownTimeoutMs: number;
  private readonly heartbeatMs: number;
  private remote: RemoteControl | null = null;
  private readonly cells = new Map<string, Cell>();
  private readonly shards = new Map<string, Cell[]>();
  private readonly shardNext = new Map<string, number>();
  private readonly root: Cell;
  private readonly wheel = new DeadlineWheel();
  private readonly listeners = new Set<EventListener>();
  private readonly actorLoggers = new WeakMap<Cell, Logger>();
  private readonly actorTimers = new WeakMap<Cell, Timers>();
  private transport: Transport;
  private watchdogDef: WatchdogDef | null = null;
  private processLauncher: ProcessLauncher | null = null;
  private processInfo: ((path: string) => ProcessInfo | undefined) | null = null;
  private auditSink: AuditSink = new MemoryAuditSink();
  private auditCounter = 0;
  private readonly auditPrefix = randomBytes(6).toString('hex');
  private nameCounter = 0;
  private corrCounter = 0;
  private active = 0;
  private quiescentWaiters: (() => void)[] = [];
  private state: 'running' | 'shutting-down' | 'down' = 'running';
  private deadLetterLogBudget = { windowStart: 0, used: 0, suppressed: 0 };
  /** Live loss and refusal counters (`counters()` copies them); transport and control plane add to them. */
  readonly stats: NodeStats = newNodeStats();
  private deadLetterBodyBytes = 1024;

  private constructor(opts: z.output<typeof SystemOptionsSchema>, logger: Logger | undefined) {
    this.name = opts.name;
    this.node = opts.node ?? nodeId();
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 5_000;
    this.shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 10_000;
    this.heartbeatMs = opts.heartbeatMs ?? 1_000;
    const level = opts.logLevel ?? process.env.TROUPE_LOG_LEVEL ?? 'info';
    this.log = (logger ?? pino({ level }, pino.destination(2))).child({
      system: this.name,
      node: this.node,
    });
    this.root = new Cell(this, RootDef as ActorDef, '', null, undefined, null);
    this.transport = memoryTransport();
  }

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
    const sys = new ActorSystem(parsed.data, logger);
    if (parsed.data.deadLetterBodyBytes !== undefined)
      sys.deadLetterBodyBytes = parsed.data.deadLetterBodyBytes;
    if (audit !== undefined) sys.auditSink = audit;
    if (watchdog !== undefined) sys.watchdogDef = watchdog;
    if (processes !== undefined) sys.processLauncher = processes;
    const t = parsed.data.transport;
    if (t && t.kind === 'nats') sys.transport = natsTransport(t);
    await sys.transport.start(sys);
    const nc = sys.transport.connection;
    if (nc !== undefined) {
      const who = t?.kind === 'nats' && t.user !== undefined ? `${t.user}@${sys.node}` : sys.node;
      sys.remote = new RemoteControl(nc, sys, sys.heartbeatMs, who);
      sys.remote.start();
    }
    sys.spawnAt(sys.root, DeadLetters as ActorDef, 'dead-letters', undefined, null, true);
    sys.log.debug({ transport: sys.transport.kind }, 'system started');
    return sys;
  }

  get transportKind(): 'memory' | 'nats' {
    return this.transport.kind;
  }

  /**
   * Wait until everything sent so far, and every actor spawned so far, has reached the
   * broker. NATS orders one connection's traffic, so a node that learns of an actor from a
   * message sent after its spawn can always reach it; a node told out of band needs this.
   */
  flush(): Promise<void> {
    return this.transport.flush();
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

  /** The ref of a local actor, if one lives at `path`. */
  lookup<P extends Protocol = Protocol>(path: string): ActorRef<P> | undefined {
    const c = this.cells.get(path);
    return c && !c.stopped ? (c.ref as ActorRef<P>) : undefined;
  }

  /** Local actor paths, in no particular order (for tools). */
  paths(): string[] {
    return [...this.cells.keys()];
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

  // ---- spawning -------------------------------------------------------------------------

  spawn<S, A, P extends Protocol>(def: SpawnableDef<S, A, P>, opts?: SpawnOptions<A>): ActorRef<P> {
    this.assertRunning();
    return this.spawnChild(
      this.root,
      def as SpawnableDef<unknown, unknown, Protocol>,
      opts,
    ) as ActorRef<P>;
  }

  spawnChild(
    parent: Cell,
    def: SpawnableDef<unknown, unknown, Protocol>,
    opts?: SpawnOptions<unknown>,
  ): ActorRef {
    if (!isActorDef(def)) throw new InvalidArgument('spawn needs a definition made by defineActor');
    if (parent.stopped) throw new Stopped(parent.path, 'is stopping: cannot spawn children');
    if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
      throw new InvalidArgument('spawn options must be an object');
    }
    const name = opts?.name ?? `${def.type}-${++this.nameCounter}`;
    assertToken('actor name', name);
    if (parent === this.root && name === 'sys') {
      throw new InvalidArgument('the top-level name "sys" is reserved for the runtime');
    }
    let cellOpts: CellOptions | null = null;
    if (opts?.mailbox !== undefined || opts?.shard) {
      const mb = opts.mailbox ?? {};
      const capacity = mb.capacity ?? def.mailbox?.capacity ?? 10_000;
      if (!isMailboxCapacity(capacity)) {
        throw new InvalidArgument(
          `mailbox capacity must be an integer in [1, 1e8] or Infinity (got ${capacity})`,
        );
      }
      const overflow: OverflowPolicy = mb.overflow ?? def.mailbox?.overflow ?? 'fail';
      if (overflow !== 'fail' && overflow !== 'dropOldest' && overflow !== 'dropNewest') {
        throw new InvalidArgument(
          `mailbox overflow must be fail, dropOldest or dropNewest (got ${String(overflow)})`,
        );
      }
      cellOpts = { capacity, overflow, shard: opts.shard === true, child: null };
    }
    return this.spawnAt(parent, def, name, opts?.args, cellOpts, false).ref;
  }

  private spawnAt(
    parent: Cell,
    def: ActorDef,
    name: string,
    args: unknown,
    cellOpts: CellOptions | null,
    system: boolean,
  ): Cell {
    // Runtime actors live under the reserved top-level name `sys`.
    const path = parent === this.root ? (system ? `sys/${name}` : name) : `${parent.path}/${name}`;
    if (this.cells.has(path)) throw new InvalidArgument(`an actor already lives at ${path}`);
    const cell = new Cell(this, def, path, parent, args, cellOpts);
    this.cells.set(path, cell);
    parent.addChild(cell);
    const shard = cellOpts?.shard === true;
    if (shard) {
      let list = this.shards.get(def.type);
      if (!list) {
        list = [];
        this.shards.set(def.type, list);
      }
      list.push(cell);
    }
    if (this.transport.remote) this.transport.expose(path, shard ? def.type : null);
    if (this.listeners.size > 0 || this.transport.remote) {
      this.emit({ kind: 'started', path, type: def.type, at: Date.now() });
    }
    cell.start();
    return cell;
  }

  // ---- sending --------------------------------------------------------------------------

  tell<P extends Protocol, K extends TellType<P>>(
    to: Ref<P>,
    type: K,
    body: TellBody<P, K>,
    opts?: TellOptions,
  ): void {
    this.assertRunning();
    this.send(null, null, to, type, body, opts);
  }

  ask<P extends Protocol, K extends AskType<P>>(
    to: Ref<P>,
    type: K,
    body: AskBody<P, K>,
    opts: AskOptions,
  ): Promise<AskReply<P, K>> {
    if (this.state !== 'running')
      return Promise.reject(new Stopped(this.name, 'system is shutting down'));
    return this.request(null, null, to, type, body, opts) as Promise<AskReply<P, K>>;
  }

  sendFrom(
    from: Cell,
    parent: Letter | null,
    to: Ref,
    type: string,
    body: unknown,
    opts?: TellOptions,
  ): void {
    this.send(from, parent, to, type, body, opts);
  }

  askFrom(
    from: Cell,
    parent: Letter | null,
    to: Ref,
    type: string,
    body: unknown,
    opts: AskOptions,
  ): Promise<unknown> {
    return this.request(from, parent, to, type, body, opts);
  }

  private checkTarget(to: Ref, type: unknown): void {
    if (typeof to !== 'object' || to === null)
      throw new InvalidArgument('target must be an actor ref');
    if (to.system !== this.name) {
      checkRemoteRef(to);
      if (!this.transport.remote) {
        throw new InvalidArgument(
          `ref ${targetOf(to)} belongs to system ${to.system}, not ${this.name}: another site is reached through NATS and the mesh bridge`,
        );
      }
    }
    if (typeof type !== 'string' || type.length === 0) {
      throw new InvalidArgument(`message type must be a non-empty string (got ${String(type)})`);
    }
  }

  /**
   * The trace context a message carries: the caller's, else a child of the message being
   * handled. A root message in this process gets none until it crosses a transport, where
   * a new trace starts: local hops stay allocation-free.
   */
  private traceFor(parent: Letter | null, explicit: string | undefined): string | null {
    if (explicit !== undefined) {
      if (!isTraceparent(explicit)) throw new InvalidArgument(`not a W3C traceparent: ${explicit}`);
      return explicit;
    }
    const tm = this.telemetry;
    if (tm !== null && parent !== null && parent.trace !== null) return tm.childTrace(parent);
    return parent?.trace ? childTraceparent(parent.trace) : null;
  }

  private send(
    from: Cell | null,
    parent: Letter | null,
    to: Ref,
    type: string,
    body: unknown,
    opts: TellOptions | undefined,
  ): void {
    this.checkTarget(to, type);
    const trace = this.traceFor(parent, opts?.traceparent);
    const fromPath = from === null ? null : from.path;
    if (from !== null && this.telemetry !== null) this.telemetry.sent(from);
    const cell = this.localTarget(to);
    if (cell !== undefined) {
      cell.deliver(new Letter(LetterKind.tell, type, body, fromPath, null, 0, trace, 0), true);
      return;
    }
    if (this.transport.remote) {
      const f = this.wireFrom(fromPath, to);
      this.transport.send(to, Kind.tell, type, body, f, null, 0, trace, 0);
      return;
    }
    this.deadLetter(
      targetOf(to),
      new Letter(LetterKind.tell, type, body, fromPath, null, 0, trace, 0),
      'no such actor',
    );
  }

  /** The sender as the wire names it: qualified with our system when the target is elsewhere. */
  private wireFrom(fromPath: string | null, to: Ref): string | null {
    return fromPath !== null && to.system !== this.name
      ? qualifiedFrom(this.name, fromPath)
      : fromPath;
  }

  private request(
    from: Cell | null,
    parent: Letter | null,
    to: Ref,
    type: string,
    body: unknown,
    opts: AskOptions,
  ): Promise<unknown> {
    let trace: string | null;
    try {
      this.checkTarget(to, type);
      checkAskOptions(opts);
      trace = this.traceFor(parent, opts.traceparent);
    } catch (err) {
      return Promise.reject(err);
    }
    const now = Date.now();
    const timeout = (opts as { timeout?: number }).timeout;
    let deadline = timeout !== undefined ? now + timeout : (opts as { deadline: number }).deadline;
    // A nested ask only gets what is left of the ask it serves.
    if (parent !== null && parent.deadline !== 0 && parent.deadline < deadline)
      deadline = parent.deadline;
    const target = targetOf(to);
    if (deadline <= now) return Promise.reject(new Timeout(target, type, 0));
    let cell: Cell | undefined;
    try {
      cell = this.localTarget(to);
    } catch (err) {
      return Promise.reject(err);
    }
    const corr = ++this.corrCounter;
    const pending = new PendingAsk(this.wheel, corr, target, type, deadline, deadline - now);
    const fromPath = from === null ? null : from.path;
    const tm = this.telemetry;
    if (tm !== null) {
      if (from !== null) tm.sent(from);
      tm.asked(type, pending.promise);
    }
    if (cell !== undefined) {
      const letter = new Letter(LetterKind.ask, type, body, fromPath, pending, deadline, trace, 0);
      // From outside any actor the caller can only await: an idle target may run right away.
      if (from === null) cell.deliverInline(letter);
      else cell.deliver(letter, false);
    } else if (this.transport.remote) {
      this.wheel.trackRemote(pending);
      const rs = (opts as { reply?: unknown }).reply;
      if (rs !== undefined) {
        if (typeof (rs as { safeParse?: unknown } | null)?.safeParse !== 'function') {
          pending.reject(new InvalidArgument('ask option reply must be a zod schema'));
          return pending.promise;
        }
        pending.replySchema = rs as PendingAsk['replySchema'];
      }
      const f = this.wireFrom(fromPath, to);
      try {
        this.transport.send(to, Kind.ask, type, body, f, corr, deadline, trace, 0);
      } catch (err) {
        pending.reject(err as Error);
      }
    } else {
      pending.reject(new NoSuchActor(target));
    }
    return pending.promise;
  }

  /** The local cell a ref resolves to, if any. Sharded types go through the broker when there is one. */
  private localTarget(to: Ref): Cell | undefined {
    if (to.system !== this.name) return undefined;
    if (isShardRef(to)) {
      // Refs become subjects: a `*`, `>` or `.` would be a wildcard or an extra token.
      if (!isToken(to.shard)) parseRef(to);
      if (this.transport.remote) return undefined;
      return this.pickShard(to.shard);
    }
    const c = this.cells.get(to.path);
    if (c === undefined) checkRemoteRef(to);
    return c;
  }

  private pickShard(type: string): Cell | undefined {
    const list = this.shards.get(type);
    if (!list || list.length === 0) return undefined;
    const i = (this.shardNext.get(type) ?? 0) % list.length;
    this.shardNext.set(type, i + 1);
    return list[i];
  }

  // ---- inbound from the transport -------------------------------------------------------

  receive(env: Envelope, body: unknown, reply: ReplyTarget | null): void {
    if (env.hops > MAX_HOPS) {
      this.stats.hopLimitDrops++;
      if (reply)
        reply.reject(new InvalidArgument(`message to ${env.to} exceeded ${MAX_HOPS} hops`));
      else
        this.deadLetter(
          env.to,
          new Letter(LetterKind.tell, env.type, body, env.from, null, 0, env.trace, env.hops),
          `exceeded ${MAX_HOPS} hops`,
        );
      return;
    }
    if (env.kind === Kind.system) {
      this.receiveSystem(env, body, reply);
      return;
    }
    const cell = env.to.startsWith('@') ? this.pickShard(env.to.slice(1)) : this.cells.get(env.to);
    const kind = env.kind === Kind.ask ? LetterKind.ask : LetterKind.tell;
    const letter = new Letter(
      kind,
      env.type,
      body,
      env.from,
      reply,
      env.deadline,
      env.trace,
      env.hops,
    );
    if (cell === undefined) {
      if (reply) reply.reject(new NoSuchActor(env.to));
      else this.deadLetter(env.to, letter, 'no such actor');
      return;
    }
    if (kind === LetterKind.ask && reply === null) {
      this.deadLetter(env.to, letter, 'ask without a reply subject');
      return;
    }
    cell.deliver(letter, false);
  }

  private receiveSystem(env: Envelope, body: unknown, reply: ReplyTarget | null): void {
    const cell = this.cells.get(env.to);
    switch (env.type) {
      case '$watch':
        if (cell && env.from && cell.addWatcher(env.from)) reply?.resolve(true);
        else reply?.reject(new NoSuchActor(env.to));
        return;
      case '$ping':
        // Existence probe (used by `troupe tell`): answers only if the actor lives here.
        if (cell && !cell.stopped) reply?.resolve(true);
        else reply?.reject(new NoSuchActor(env.to));
        return;
      case '$tell': {
        // A tell that answers whether the target took it (`troupe tell`): the same check and
        // delivery as any tell; a refusal is a dead letter as usual, and also the answer.
        const t = body as { type?: unknown; body?: unknown } | null;
        if (!cell || cell.stopped) reply?.reject(new NoSuchActor(env.to));
        else if (typeof t?.type !== 'string')
          reply?.reject(new InvalidArgument('$tell needs { type, body }'));
        else {
          const letter = new Letter(
            LetterKind.tell,
            t.type,
            t.body,
            env.from,
            null,
            env.deadline,
            env.trace,
            env.hops,
          );
          const refused = cell.deliver(letter, false);
          if (refused) reply?.reject(refused);
          else reply?.resolve(true);
        }
        return;
      }
      case '$unwatch':
        if (cell && env.from) cell.removeWatcher(env.from);
        return;
      case SYS_TERMINATED:
        if (cell)
          cell.enqueueSystem(
            new Letter(LetterKind.system, SYS_TERMINATED, body, env.from, null, 0, null, 0),
          );
        return;
      default:
        reply?.reject(new InvalidArgument(`unknown system message ${env.type}`));
    }
  }

  settle(env: Envelope): void {
    const p = this.wheel.byCorr.get(env.corr ?? -1);
    if (p === undefined) return; // late: the ask already timed out
    let value: unknown;
    try {
      value = decodeBody(env.body);
    } catch (err) {
      p.reject(err as Error);
      return;
    }
    if (env.kind === Kind.reply) {
      const schema = p.replySchema;
      if (schema !== null) {
        // Anyone who can publish to this node's inbox could answer: trust only the schema.
        const r = schema.safeParse(value);
        if (!r.success) {
          this.stats.rejectedReplies++;
          p.reject(
            new Rejected(p.target, p.type, r.error.issues, 'reply does not match the reply schema'),
          );
          return;
        }
        value = r.data;
      }
      p.resolve(value);
    } else if (env.kind === Kind.error) p.reject(fromWireError(value));
  }

  refuse(corrs: readonly number[], err: Error): void {
    for (const c of corrs) this.wheel.byCorr.get(c)?.reject(err);
  }

  noResponders(corrs: readonly number[]): void {
    for (const c of corrs) {
      const p = this.wheel.byCorr.get(c);
      p?.reject(new NoSuchActor(p.target));
    }
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /** Whether an actor answers at `ref`, here or on another node; false at once when none does. */
  async exists(ref: ActorRef, timeoutMs = 2_000): Promise<boolean> {
    const r = parseRef(ref);
    if (isShardRef(r)) throw new InvalidArgument('exists needs an actor ref, not a shard ref');
    checkAskOptions({ timeout: timeoutMs });
    const local = this.cells.get(r.path);
    if (local !== undefined) return !local.stopped;
    if (!this.transport.remote) return false;
    const corr = ++this.corrCounter;
    const deadline = Date.now() + timeoutMs;
    const pending = new PendingAsk(this.wheel, corr, r.path, '$ping', deadline, timeoutMs);
    this.wheel.trackRemote(pending);
    this.transport.send(r, Kind.system, '$ping', null, null, corr, deadline, null, 0);
    try {
      await pending.promise;
      return true;
    } catch (err) {
      if (err instanceof NoSuchActor) return false;
      throw err;
    }
  }

  /**
   * A tell to an actor on another node that waits for the target's verdict: resolves once the
   * message passed its schema and sits in the mailbox; rejects with the reason it became a
   * dead letter (Rejected, Stopped, MailboxFull), NoSuchActor, or Timeout. Nodes from before
   * this message answer InvalidArgument.
   */
  async tellConfirmed(
    ref: ActorRef,
    type: string,
    body: unknown,
    timeoutMs = 5_000,
  ): Promise<void> {
    const r = parseRef(ref);
    if (isShardRef(r))
      throw new InvalidArgument('tellConfirmed needs an actor ref, not a shard ref');
    if (!this.transport.remote) throw new InvalidArgument('tellConfirmed needs a remote transport');
    const corr = ++this.corrCounter;
    const deadline = Date.now() + timeoutMs;
    const pending = new PendingAsk(this.wheel, corr, r.path, '$tell', deadline, timeoutMs);
    this.wheel.trackRemote(pending);
    this.transport.send(r, Kind.system, '$tell', { type, body }, null, corr, deadline, null, 0);
    await pending.promise;
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

  /** Resolves when a local actor stops (at once if it is not running). */
  whenTerminated(ref: ActorRef): Promise<Terminated> {
    const cell = this.cells.get(ref.path);
    if (!cell || cell.stopped) {
      return Promise.resolve({ ref, reason: cell ? 'stopped' : 'noSuchActor' });
    }
    return new Promise((res) => {
      const off = this.on((e) => {
        if (e.kind === 'stopped' && e.path === ref.path) {
          off();
          res({ ref, reason: e.reason });
        }
      });
    });
  }

  watchFrom(from: Cell, ref: ActorRef): void {
    const r = parseRef(ref);
    if (isShardRef(r)) throw new InvalidArgument('watch needs an actor ref, not a shard ref');
    const x = from.extras();
    (x.watching ??= new Set()).add(r.path);
    const target = this.cells.get(r.path);
    if (target !== undefined) {
      if (!target.addWatcher(from.path))
        this.notifyTerminated(from.path, { ref: r, reason: 'stopped' });
      return;
    }
    if (!this.transport.remote) {
      this.notifyTerminated(from.path, { ref: r, reason: 'noSuchActor' });
      return;
    }
    // Remote: register with the target's node; if nobody answers, it is already gone.
    const corr = ++this.corrCounter;
    const deadline = Date.now() + this.stopTimeoutMs;
    const pending = new PendingAsk(
      this.wheel,
      corr,
      r.path,
      '$watch',
      deadline,
      this.stopTimeoutMs,
    );
    this.wheel.trackRemote(pending);
    this.transport.send(r, Kind.system, '$watch', null, from.path, corr, deadline, null, 0);
    pending.promise.catch((err: unknown) => {
      const reason =
        err instanceof NoSuchActor
          ? 'noSuchActor'
          : err instanceof Timeout
            ? 'unreachable'
            : 'stopped';
      this.notifyTerminated(from.path, { ref: r, reason });
    });
  }

  unwatchFrom(from: Cell, ref: ActorRef): void {
    from.ext?.watching?.delete(ref.path);
    const target = this.cells.get(ref.path);
    if (target) target.removeWatcher(from.path);
    else if (this.transport.remote) {
      this.transport.send(ref, Kind.system, '$unwatch', null, from.path, null, 0, null, 0);
    }
  }

  notifyTerminated(watcher: string, t: Terminated): void {
    const cell = this.cells.get(watcher);
    if (cell !== undefined) {
      cell.enqueueSystem(
        new Letter(LetterKind.system, SYS_TERMINATED, t, t.ref.path, null, 0, null, 0),
      );
    } else if (this.transport.remote && this.state !== 'down') {
      this.transport.send(
        { system: this.name, path: watcher },
        Kind.system,
        SYS_TERMINATED,
        t,
        t.ref.path,
        null,
        0,
        null,
        0,
      );
    }
  }

  unregister(cell: Cell): void {
    this.watchdog.unwatch(cell);
    if (this.cells.get(cell.path) === cell) this.cells.delete(cell.path);
    cell.parent?.removeChild(cell);
    const shard = cell.opts?.shard === true;
    if (shard) {
      const list = this.shards.get(cell.def.type);
      if (list) {
        const i = list.indexOf(cell);
        if (i >= 0) list.splice(i, 1);
      }
    }
    const watching = cell.ext?.watching;
    if (watching) {
      for (const p of watching) this.cells.get(p)?.removeWatcher(cell.path);
    }
    if (this.transport.remote) this.transport.unexpose(cell.path, shard ? cell.def.type : null);
  }

  onFailure(cell: Cell, reason: string, error: unknown, phase: FailurePhase): void {
    const hung = error instanceof Hung;
    this.log.error(
      { actor: cell.path, err: error, phase, trace_id: traceIdOf(cell.ctx?.letter?.trace ?? null) },
      hung ? 'actor hung' : phase === 'start' ? 'start failed' : 'handler failed',
    );
    const at = Date.now();
    if (hung) this.emit({ kind: 'hung', path: cell.path, reason, at });
    this.emit({ kind: 'crashed', path: cell.path, reason, at });
    cell.suspend(reason);
    this.tellParent(cell, { t: 'exit', child: cell, reason, abnormal: true, phase });
  }

  onSelfStop(cell: Cell, reason: string): void {
    this.exited(cell, reason);
  }

  exited(cell: Cell, reason: string): void {
    this.tellParent(cell, { t: 'exit', child: cell, reason, abnormal: false, phase: 'exit' });
  }

  escalate(cell: Cell, reason: string): void {
    if (cell === this.root || cell.stopped) return;
    this.onFailure(cell, reason, new Error(reason), 'message');
  }

  private tellParent(cell: Cell, m: SupervisionMsg): void {
    const remoteSup = cell.opts?.remote;
    if (remoteSup && m.t === 'exit') {
      this.remote?.reportExit(cell, remoteSup.node, m.reason, m.abnormal, m.phase);
      return;
    }
    const parent = cell.parent ?? this.root;
    if (parent.stopped || this.state === 'down') return;
    parent.enqueueSystem(new Letter(LetterKind.system, SYS_SUPERVISION, m, null, null, 0, null, 0));
  }

  supervise(cell: Cell, msg: unknown): Promise<unknown> | undefined {
    const m = msg as SupervisionMsg;
    const run = isSupervisorDef(cell.def)
      ? superviseIn(cell, cell.state as SupervisorState, m)
      : defaultDirective(cell, m);
    return run?.catch((err: unknown) => {
      this.log.error({ actor: cell.path, err }, 'supervision failed');
    });
  }

  get rootCell(): Cell {
    return this.root;
  }

  // ---- across processes -----------------------------------------------------------------

  /**
   * Offer these actor types to supervisors on other nodes: a child spec with `node` set to
   * this node's name (or `*`) is started here, and its exits are reported back.
   */
  host(...defs: SpawnableDef<unknown, unknown, Protocol>[]): void {
    if (this.remote === null)
      throw new InvalidArgument('hosting children for other nodes needs the NATS transport');
    for (const d of defs)
      if (!isActorDef(d)) throw new InvalidArgument('host needs definitions made by defineActor');
    this.remote.host(defs as unknown as ActorDef[]);
  }

  cellAt(path: string): Cell | undefined {
    return this.cells.get(path);
  }

  spawnHosted(def: ActorDef, req: SpawnRequest): Cell {
    pathSegments(req.path);
    const s = req.settings;
    const cellOpts: CellOptions = {
      capacity: def.mailbox?.capacity ?? 10_000,
      overflow: def.mailbox?.overflow ?? 'fail',
      shard: false,
      child: {
        restart: s.restart,
        shutdownMs: s.shutdownMs ?? Number.POSITIVE_INFINITY,
        maxHandlerMs: s.maxHandlerMs,
        heartbeatMs: s.heartbeatMs,
      },
      remote: req.supervisor,
    };
    const cell = this.spawnAt(this.root, def, req.path, req.args, cellOpts, false);
    if (req.restarts > 0) cell.extras().restarts = req.restarts;
    if (s.maxHandlerMs !== null || s.heartbeatMs !== null) this.watchdog.watch(cell);
    return cell;
  }

  childExited(
    supervisor: Cell,
    child: Child,
    reason: string,
    abnormal: boolean,
    phase: 'start' | 'message' | 'exit',
  ): void {
    if (supervisor.stopped || this.state === 'down') return;
    const m: SupervisionMsg = { t: 'exit', child, reason, abnormal, phase };
    supervisor.enqueueSystem(
      new Letter(LetterKind.system, SYS_SUPERVISION, m, null, null, 0, null, 0),
    );
  }

  /** Every actor of this node as `troupe tree` shows it, depth first in start order. */
  treeRows(): TreeRow[] {
    const rows = treeRowsOf(this.root, this.node);
    const info = this.processInfo;
    if (info === null) return rows;
    return rows.map((r) => {
      const p = info(r.path);
      return p === undefined ? r : { ...r, process: p };
    });
  }

  /** An agent process reports its pid, rss, cpu, workspace and log file in its tree rows. */
  setProcessInfo(info: ((path: string) => ProcessInfo | undefined) | null): void {
    this.processInfo = info;
  }

  // ---- watchdog ---------------------------------------------------------------------------

  /** Starts `start.process` children unless the system options name one (actors/process sets it). */
  static defaultProcessLauncher: ProcessLauncher | null = null;

  /** The watchdog every system uses unless told otherwise (actors/watchdog sets it). */
  static defaultWatchdog: WatchdogDef | null = null;
  private readonly watchdog = new WatchdogBinding(
    this,
    () => this.watchdogDef ?? ActorSystem.defaultWatchdog,
  );

  spawnRuntimeActor(def: ActorDef, name: string, args: unknown): Cell {
    return this.spawnAt(this.root, def, name, args, null, true);
  }

  /** Spawn a supervised child from its normalized spec (name = spec id). */
  spawnSupervised(parent: Cell, spec: NormalizedChildSpec, restarts: number): Child {
    const def = spec.start.def as unknown as ActorDef;
    const proc = spec.start.process;
    if (proc !== undefined) {
      const launcher = this.processLauncher ?? ActorSystem.defaultProcessLauncher;
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
        audit: (kind, data) => this.audit(kind, data, `${parent.path}/${spec.id}`),
        exited: (child, reason, abnormal, phase) =>
          this.childExited(parent, child, reason, abnormal, phase),
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
    const mb = spec.start.mailbox ?? {};
    const cellOpts: CellOptions = {
      capacity: mb.capacity ?? def.mailbox?.capacity ?? 10_000,
      overflow: mb.overflow ?? def.mailbox?.overflow ?? 'fail',
      shard: spec.start.shard === true,
      child: {
        restart: spec.restart,
        shutdownMs: spec.shutdownMs,
        maxHandlerMs: spec.maxHandlerMs ?? null,
        heartbeatMs: spec.heartbeatMs ?? null,
      },
    };
    const cell = this.spawnAt(parent, def, spec.id, spec.start.args, cellOpts, false);
    if (restarts > 0) cell.extras().restarts = restarts;
    if (spec.maxHandlerMs !== undefined || spec.heartbeatMs !== undefined)
      this.watchdog.watch(cell);
    return cell;
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
    this.wheel.rejectAll((p) => new Stopped(p.target, 'not answered: system shut down'));
    this.state = 'down';
    this.remote?.close();
    try {
      await this.auditSink.flush();
    } catch (err) {
      this.log.error({ err }, 'audit sink did not flush at shutdown');
    }
    await this.transport.close();
    this.log.debug('system shut down');
  }

  private assertRunning(): void {
    if (this.state !== 'running') throw new Stopped(this.name, 'system is shutting down');
  }

  // ---- audit ------------------------------------------------------------------------------

  /** The sink audit events go to (the ledger's, once one is attached). */
  get auditLog(): AuditSink {
    return this.auditSink;
  }

  /** Swap the audit sink, e.g. when the ledger actor starts; returns the previous one. */
  setAuditSink(sink: AuditSink): AuditSink {
    const prev = this.auditSink;
    this.auditSink = sink;
    return prev;
  }

  /** Record an audit event on behalf of `actor` (default: the runtime itself). */
  audit(
    kind: string,
    data?: Record<string, unknown>,
    actor = 'sys/runtime',
    trace: string | null = null,
  ): void {
    const k = AuditKind.safeParse(kind);
    if (!k.success)
      throw new InvalidArgument(
        `audit kind ${JSON.stringify(kind)}: ${k.error.issues[0]!.message}`,
      );
    if (data !== undefined && !AuditData.safeParse(data).success) {
      throw new InvalidArgument('audit data must be a plain object');
    }
    this.auditSink.emit({
      id: `${this.auditPrefix}-${++this.auditCounter}`,
      kind,
      system: this.name,
      node: this.node,
      actor,
      at: Date.now(),
      trace,
      data: data ?? {},
    });
  }

  auditFrom(
    cell: Cell,
    parent: Letter | null,
    kind: string,
    data: Record<string, unknown> | undefined,
  ): void {
    this.audit(kind, data, cell.path, parent?.trace ?? null);
  }

  /** The NATS connection under the transport, for built-in actors (bridge, ledger); undefined when embedded. */
  get nats(): NatsConnection | undefined {
    return this.transport.connection;
  }

  /** Attach metrics and tracing (actors/telemetry does); null detaches. Returns the previous port. */
  setTelemetry(port: TelemetryPort | null): TelemetryPort | null {
    const prev = this.telemetry;
    this.telemetry = port;
    return prev;
  }

  // ---- events, dead letters, logging ----------------------------------------------------

  /** Listen to runtime events (started, stopped, failed, restarted, deadLetter). */
  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  emit(e: RuntimeEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err }, 'event listener failed');
      }
    }
    if (this.transport.remote && this.state !== 'down') this.transport.publishEvent(e);
  }

  deadLetter(to: string, letter: Letter, reason: string): void {
    if (
      to === DEAD_LETTERS_PATH &&
      letter.type === 'record' &&
      letter.from === null &&
      (reason.startsWith('mailboxFull') || reason.startsWith('stopped'))
    ) {
      // The recorder's mailbox dropped a record: the letter was counted when it died.
      this.stats.deadLettersUnrecorded++;
      return;
    }
    this.stats.deadLetters++;
    const at = Date.now();
    if (this.listeners.size > 0 || this.transport.remote) {
      this.emit({ kind: 'deadLetter', to, from: letter.from, type: letter.type, reason, at });
    }
    this.logDeadLetter(to, letter, reason);
    if (to === DEAD_LETTERS_PATH) return;
    const dl = this.cells.get(DEAD_LETTERS_PATH);
    if (dl === undefined || dl.stopped) return;
    const record: DeadLetter = {
      to: to.length > 256 ? to.slice(0, 256) : to,
      from:
        letter.from !== null && letter.from.length > 256 ? letter.from.slice(0, 256) : letter.from,
      type: letter.type.length > 256 ? letter.type.slice(0, 256) : letter.type,
      reason,
      at,
      ...this.boundedBody(letter.body),
    };
    dl.deliver(
      new Letter(LetterKind.tell, 'record', record, null, null, 0, letter.trace, 0),
      false,
    );
  }

  /**
   * A dead letter's body as kept: the value itself when its encoding fits the byte budget,
   * else its first bytes. A flood of large bodies must not hold the node's memory.
   */
  private boundedBody(body: unknown): { body: unknown; size: number | null; truncated: boolean } {
    let bytes: Uint8Array | null = null;
    const raw = body instanceof Uint8Array;
    if (raw) bytes = body;
    else {
      try {
        bytes = encodeBody(body);
      } catch {
        return { body: null, size: null, truncated: true };
      }
    }
    const size = bytes.length;
    const budget = this.deadLetterBodyBytes;
    if (size <= budget) {
      if (!raw) return { body, size, truncated: false };
      try {
        return { body: decodeBody(bytes), size, truncated: false };
      } catch {
        return { body: bytes.slice(), size, truncated: false };
      }
    }
    // A copy: a view would keep the whole inbound batch alive.
    return { body: budget > 0 ? bytes.slice(0, budget) : null, size, truncated: true };
  }

  /** Bytes from the broker that cannot be delivered: a dead letter like any other. */
  deadLetterWire(
    to: string,
    from: string | null,
    type: string,
    body: Uint8Array,
    reason: string,
  ): void {
    this.deadLetter(to, new Letter(LetterKind.tell, type, body, from, null, 0, null, 0), reason);
  }

  /** Dead letters are logged, but at most 10 lines a second, then a count of the rest. */
  private logDeadLetter(to: string, letter: Letter, reason: string): void {
    const b = this.deadLetterLogBudget;
    const now = Date.now();
    if (now - b.windowStart >= 1000) {
      if (b.suppressed > 0)
        this.log.warn({ suppressed: b.suppressed }, 'more dead letters not logged');
      b.windowStart = now;
      b.used = 0;
      b.suppressed = 0;
    }
    if (b.used++ < 10) {
      this.log.warn(
        { to, from: letter.from, type: letter.type, reason, trace_id: traceIdOf(letter.trace) },
        'dead letter',
      );
    } else b.suppressed++;
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
}

type ProtocolOfDeadLetters = NonNullable<(typeof DeadLetters)['__protocol']>;

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
