import type { Logger } from 'pino';
import type { ActorRef } from './address.ts';
import { AskCtx, CellContext, ReportedFailure } from './cell-context.ts';
import type { OverflowPolicy, Terminated } from './context.ts';
import type { ActorDef, MessageEntry } from './define-actor.ts';
import { type Runnable, schedule } from './dispatcher.ts';
import {
  ActorFailed,
  Hung,
  MailboxFull,
  NoReply,
  Rejected,
  Stopped,
  Timeout,
  type TroupeError,
} from './errors.ts';
import type { RuntimeEvent } from './events.ts';
import { Letter, LetterKind, SYS_START, SYS_TERMINATED } from './letter.ts';
import { BoundedQueue } from './mailbox/bounded.ts';
import type { ReplyTarget } from './pending-ask.ts';
import type { TelemetryPort, TypeStats } from './telemetry.ts';

const RUNNING = 0;
/** Crashed: holds its mail while its parent decides (restart, stop, give up). */
const SUSPENDED = 1;
const STOPPING = 2;
const STOPPED = 3;

const F_SCHEDULED = 1;
const F_BUSY = 2;
/** Messages an inline run may handle before the rest goes back to the dispatcher. */
const INLINE_BUDGET = 300;

/** What cells' spawn times count from (see Cell.born). */
const EPOCH = Date.now();

/** Where in its life an actor failed: in its start hook, or handling a message. */
export type FailurePhase = 'start' | 'message';

/** What a cell needs from its system; the system implements it. */
export interface CellHost {
  readonly name: string;
  readonly node: string;
  readonly log: Logger;
  readonly stopTimeoutMs: number;
  /** Metrics and tracing (runtime/telemetry.ts); null when off, the default. */
  readonly telemetry: TelemetryPort | null;
  deadLetter(to: string, letter: Letter, reason: string): void;
  emit(e: RuntimeEvent): void;
  hasListeners(): boolean;
  unregister(cell: Cell): void;
  /** A cell turned busy (1) or idle (-1): the system counts them for graceful shutdown. */
  activity(delta: 1 | -1): void;
  /** A handler or start hook failed: the cell is suspended; the host tells its parent. */
  onFailure(cell: Cell, reason: string, error: unknown, phase: FailurePhase): void;
  /** A child stopped by itself (reason `normal`): its parent decides whether to restart it. */
  onSelfStop(cell: Cell, reason: string): void;
  /** Run a supervision system message in `cell` (a parent); may return a promise. */
  supervise(cell: Cell, msg: unknown): Promise<unknown> | undefined;
  notifyTerminated(watcher: string, t: Terminated): void;
}

/** What a supervisor decided about this child; kept on the child for tools and the watchdog. */
export interface ChildSettings {
  readonly restart: 'permanent' | 'transient' | 'temporary';
  /** ms to wait for a running handler at stop; 0 = brutal; Infinity = wait. */
  readonly shutdownMs: number;
  readonly maxHandlerMs: number | null;
  readonly heartbeatMs: number | null;
}

/** Per-cell settings that differ from the definition's; absent for most actors. */
export interface CellOptions {
  capacity: number;
  overflow: OverflowPolicy;
  shard: boolean;
  child: ChildSettings | null;
  /** Hosted here for a supervisor on another node: where to report exits. */
  remote?: { readonly node: string; readonly path: string } | null;
}

/** Rarely used parts, allocated on first use so an idle actor stays small. */
interface CellExtras {
  timers: Map<string, NodeJS.Timeout> | null;
  watchers: Set<string> | null;
  watching: Set<string> | null;
  stopPromise: Promise<void> | null;
  idleWaiters: (() => void)[] | null;
  current: Letter | null;
  restarts: number;
  lastFailure: string | null;
  startedAt: number;
  /** Last snapshot taken after a handled message, for restart-from-snapshot. */
  snapshot: unknown;
  hasSnapshot: boolean;
  /** When the running handler started (epoch ms), 0 when idle; kept only for watched actors. */
  handlerStartedAt: number;
  lastBeat: number;
  abort: AbortController | null;
  /** Restart bookkeeping of the default (non-supervisor) directive. */
  recentRestarts: number[] | null;
  hung: boolean;
  /** Settles when the start hook of the current incarnation has run. */
  started: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | null;
}

/**
 * One running actor: state, mailbox, place in the tree. Processes one message at a time;
 * a handler returning a promise holds the mailbox until it settles.
 */
export class Cell implements Runnable {
  state: unknown;
  mailbox: BoundedQueue<Letter> | null = null;
  /** Runtime messages, ahead of the mailbox: a ring, since a parent may get thousands at once. */
  sysq: BoundedQueue<Letter> | null = null;
  status = RUNNING;
  flags = 0;
  /** Bumped when the cell is suspended or restarted: a handler from before is abandoned. */
  gen = 0;
  // Children as an intrusive list in spawn order: O(1) add/remove, reverse walk for shutdown.
  firstChild: Cell | null = null;
  lastChild: Cell | null = null;
  prev: Cell | null = null;
  next: Cell | null = null;
  ctx: CellContext | null = null;
  ext: CellExtras | null = null;
  /**
   * When the actor was spawned, in tenths of a second after EPOCH (rounded down; 6.8 years of
   * range): uptime counts from here until a restart (extras are lazy). A small integer stays
   * inside the object; an epoch time in ms would be a boxed number, 16 bytes more per actor.
   */
  private readonly born = ((Date.now() - EPOCH) / 100) | 0;
  private refCache: ActorRef | null = null;

  constructor(
    readonly host: CellHost,
    readonly def: ActorDef,
    readonly path: string,
    readonly parent: Cell | null,
    readonly args: unknown,
    readonly opts: CellOptions | null,
  ) {
    this.state = def.state(args as never);
    if (opts?.child?.maxHandlerMs != null || opts?.child?.heartbeatMs != null) {
      this.extras().lastBeat = Date.now();
    }
  }

  /** Messages handed to a handler since spawn, across restarts (`troupe top` rates). */
  get handled(): number {
    return this.ctx === null ? 0 : this.ctx.handled;
  }

  /** Telemetry's counters for this actor's type, cached on first use (runtime/telemetry.ts). */
  get tstats(): TypeStats | null {
    return this.ctx === null ? null : this.ctx.tstats;
  }

  set tstats(s: TypeStats | null) {
    this.context().tstats = s;
  }

  get ref(): ActorRef {
    if (!this.refCache) this.refCache = { system: this.host.name, path: this.path };
    return this.refCache;
  }

  /** Stopping or stopped: no longer accepts mail. */
  get stopped(): boolean {
    return this.status >= STOPPING;
  }

  get suspended(): boolean {
    return this.status === SUSPENDED;
  }

  get statusName(): 'running' | 'restarting' | 'stopping' | 'stopped' {
    return (['running', 'restarting', 'stopping', 'stopped'] as const)[this.status]!;
  }

  get capacity(): number {
    return this.opts?.capacity ?? this.def.mailbox?.capacity ?? 10_000;
  }

  get overflow(): OverflowPolicy {
    return this.opts?.overflow ?? this.def.mailbox?.overflow ?? 'fail';
  }

  get child(): ChildSettings | null {
    return this.opts?.child ?? null;
  }

  extras(): CellExtras {
    if (!this.ext) {
      this.ext = {
        timers: null,
        watchers: null,
        watching: null,
        stopPromise: null,
        idleWaiters: null,
        current: null,
        restarts: 0,
        lastFailure: null,
        startedAt: EPOCH + this.born * 100,
        snapshot: undefined,
        hasSnapshot: false,
        handlerStartedAt: 0,
        lastBeat: 0,
        abort: null,
        recentRestarts: null,
        hung: false,
        started: null,
      };
    }
    return this.ext;
  }

  addChild(c: Cell): void {
    c.prev = this.lastChild;
    if (this.lastChild) this.lastChild.next = c;
    else this.firstChild = c;
    this.lastChild = c;
  }

  /** Put `c` (already a child) right after `after`, or first when `after` is null: keeps start order. */
  placeChild(c: Cell, after: Cell | null): void {
    this.removeChild(c);
    if (after === null) {
      c.next = this.firstChild;
      if (this.firstChild) this.firstChild.prev = c;
      else this.lastChild = c;
      this.firstChild = c;
      return;
    }
    c.prev = after;
    c.next = after.next;
    if (after.next) after.next.prev = c;
    else this.lastChild = c;
    after.next = c;
  }

  removeChild(c: Cell): void {
    if (c.prev) c.prev.next = c.next;
    else if (this.firstChild === c) this.firstChild = c.next;
    else return;
    if (c.next) c.next.prev = c.prev;
    else this.lastChild = c.prev;
    c.prev = null;
    c.next = null;
  }

  /** Queue the start hook ahead of any message. */
  start(): void {
    if (this.def.onStart) {
      if (this.ext !== null && this.ext.started !== null) this.ext.started = null;
      this.enqueueSystem(new Letter(LetterKind.system, SYS_START, null, null, null, 0, null, 0));
    }
  }

  /**
   * Resolves when this incarnation's start hook has completed; rejects if it failed. A
   * supervisor awaits it to start children strictly in order, as OTP does.
   */
  whenStarted(): Promise<void> {
    if (!this.def.onStart) return Promise.resolve();
    const x = this.extras();
    if (x.started === null) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => {});
      x.started = { promise, resolve, reject };
      if (this.startDone !== null) {
        if (this.startDone === true) resolve();
        else reject(this.startDone);
      }
    }
    return x.started.promise;
  }

  /** Outcome of the last start hook, for a whenStarted() asked after the fact. */
  private startDone: true | Error | null = null;

  private settleStart(err: Error | null): void {
    this.startDone = err ?? true;
    const s = this.ext?.started;
    if (s) {
      if (err) s.reject(err);
      else s.resolve();
    }
  }

  /**
   * Validate and enqueue a user message. Validation happens here, at the receiving edge, so
   * a bad message never reaches a handler. Throws MailboxFull only for a `fail` policy and a
   * tell from this process (`throwOnFull`); every other rejection goes to the reply target or
   * to dead letters, with its reason. A suspended (restarting) actor keeps its mail.
   */
  deliver(letter: Letter, throwOnFull: boolean): TroupeError | null {
    if (this.status >= STOPPING) {
      const err = new Stopped(this.path);
      this.refuse(letter, err, 'stopped');
      return err;
    }
    const entry: MessageEntry | undefined = this.def.entries[letter.type];
    const isAsk = letter.kind === LetterKind.ask;
    if (entry === undefined || (entry.kind === 'ask') !== isAsk) {
      const why =
        entry === undefined
          ? `no message type ${letter.type}`
          : `${letter.type} is ${entry.kind === 'ask' ? 'an ask' : 'a tell'}, sent as ${isAsk ? 'an ask' : 'a tell'}`;
      const err = new Rejected(this.path, letter.type, [{ message: why }], why);
      this.refuse(letter, err, `rejected: ${why}`);
      return err;
    }
    // A plain schema's valid body is kept as is (zod's copy would be equal): no copy, no garbage.
    const plain = entry.plain;
    if (plain === null || !plain(letter.body)) {
      const parsed = entry.schema.safeParse(letter.body);
      if (!parsed.success) {
        const err = new Rejected(this.path, letter.type, parsed.error.issues);
        this.refuse(letter, err, `rejected: ${err.message}`);
        return err;
      }
      letter.body = parsed.data;
    }
    let mb = this.mailbox;
    if (mb === null) {
      mb = new BoundedQueue<Letter>(this.capacity, this.overflow);
      this.mailbox = mb;
    }
    // The queue applies the overflow policy; what it hands back did not stay.
    const lost = mb.offer(letter);
    if (lost !== undefined) {
      const err = new MailboxFull(this.path, mb.capacity);
      if (lost !== letter) {
        this.refuse(lost, err, 'mailboxFull: dropped oldest');
      } else if (mb.overflow === 'dropNewest' || !throwOnFull || isAsk) {
        this.refuse(
          letter,
          err,
          `mailboxFull: ${mb.overflow === 'dropNewest' ? 'dropped newest' : 'sender failed'}`,
        );
        return err;
      } else {
        throw err;
      }
    }
    if (this.flags === 0 && this.status === RUNNING) this.wake();
    return null;
  }

  /**
   * Deliver an ask from outside any actor: when the cell is idle, run it at once in the
   * caller's turn instead of a later microtask. The caller only awaits the reply, so nothing
   * it could observe changes, and the ask costs one turn less. Busy or queued cells take the
   * message in order as usual.
   */
  deliverInline(letter: Letter): void {
    const idle =
      this.flags === 0 &&
      this.status === RUNNING &&
      (this.mailbox === null || this.mailbox.length === 0) &&
      (this.sysq === null || this.sysq.length === 0);
    if (!idle) {
      this.deliver(letter, false);
      return;
    }
    // Claim the cell first, so deliver() queues without scheduling a run of its own.
    this.flags = F_SCHEDULED;
    this.host.activity(1);
    this.deliver(letter, false);
    if (this.mailbox === null || this.mailbox.length === 0) {
      this.goIdle(); // refused (schema, deadline): nothing to run
      return;
    }
    this.run(INLINE_BUDGET);
  }

  /** Runtime messages (start, terminated, supervision) skip validation and the mailbox bound. */
  enqueueSystem(letter: Letter): void {
    if (this.status === STOPPED) return;
    // Unbounded on purpose: runtime messages are never refused (one per start, exit or notice).
    if (this.sysq === null) this.sysq = new BoundedQueue<Letter>('unbounded');
    this.sysq.push(letter);
    if (this.flags === 0 && this.status === RUNNING) this.wake();
  }

  private wake(): void {
    this.flags |= F_SCHEDULED;
    this.host.activity(1);
    schedule(this);
  }

  /** A message that will not be handled: the asker hears why, a tell goes to dead letters. */
  refuse(letter: Letter, err: TroupeError, reason: string): void {
    if (letter.reply !== null) {
      letter.reply.reject(err);
      return;
    }
    if (letter.kind === LetterKind.system) return;
    this.host.deadLetter(this.path, letter, reason);
  }

  run(budget: number): number {
    // A stale run-queue entry (the cell went idle, busy or suspended since) does nothing.
    if ((this.flags & F_SCHEDULED) === 0) return 0;
    let n = 0;
    // Telemetry counts what this run handled once at its end, and is called per message only
    // for the few it traces or times.
    const tm = this.host.telemetry;
    let counted = 0;
    while (n < budget && this.status === RUNNING) {
      let letter: Letter | undefined;
      const sq = this.sysq;
      if (sq !== null && sq.length > 0) letter = sq.shift();
      else if (this.mailbox !== null) letter = this.mailbox.shift();
      if (letter === undefined) break;
      n++;
      let tk: object | null = null;
      if (tm !== null && letter.kind !== LetterKind.system) {
        counted++;
        const due = (this.handled & tm.timeMask) === 0;
        if (due || letter.trace !== null) tk = tm.handling(this, letter, due);
      }
      const pending = this.invoke(letter);
      // A synchronous handler is over: the watchdog must not count idle time as handler time.
      if (pending === undefined && this.ext !== null) this.ext.handlerStartedAt = 0;
      if (tk !== null) tm!.handled(tk, this, pending);
      if (pending !== undefined) {
        if (counted > 0) tm!.received(this, counted);
        // Busy: deliveries queue up but do not wake the cell until the handler settles.
        this.flags = (this.flags & ~F_SCHEDULED) | F_BUSY;
        this.extras().current = letter;
        const gen = this.gen;
        pending.then(
          () => this.afterAsync(gen),
          () => this.afterAsync(gen),
        );
        return n;
      }
      if ((this.flags & F_SCHEDULED) === 0) {
        if (counted > 0) tm!.received(this, counted);
        return n; // suspended or stopped by the handler
      }
    }
    if (counted > 0) tm!.received(this, counted);
    if (this.hasWork()) schedule(this);
    else this.goIdle();
    return n;
  }

  private afterAsync(gen: number): void {
    // An abandoned handler (the actor hung or restarted meanwhile) changes nothing.
    if (gen !== this.gen) return;
    if (this.ext) {
      this.ext.current = null;
      this.ext.handlerStartedAt = 0;
    }
    if (this.hasWork()) {
      this.flags = (this.flags & ~F_BUSY) | F_SCHEDULED;
      schedule(this);
    } else this.goIdle();
  }

  private hasWork(): boolean {
    if (this.status !== RUNNING) return false;
    if (this.sysq !== null && this.sysq.length > 0) return true;
    return this.mailbox !== null && this.mailbox.length > 0;
  }

  private goIdle(): void {
    if ((this.flags & (F_SCHEDULED | F_BUSY)) === 0) return;
    this.flags = 0;
    this.host.activity(-1);
    const w = this.ext?.idleWaiters;
    if (w && w.length > 0) {
      this.ext!.idleWaiters = null;
      for (const f of w) f();
    }
  }

  get busy(): boolean {
    return (this.flags & F_BUSY) !== 0;
  }

  /** Resolves once nothing is running or queued in this cell. */
  whenIdle(): Promise<void> {
    if ((this.flags & (F_BUSY | F_SCHEDULED)) === 0) return Promise.resolve();
    return new Promise((res) => {
      const x = this.extras();
      (x.idleWaiters ??= []).push(res);
    });
  }

  /** Run one letter. Returns a promise when the handler went async. */
  private invoke(letter: Letter): Promise<unknown> | undefined {
    if (letter.kind === LetterKind.system) return this.invokeSystem(letter);
    const ctx = this.context();
    ctx.handled++;
    if (letter.deadline !== 0 && letter.reply !== null && letter.deadline <= Date.now()) {
      // The asker has already timed out: do not spend work (or model tokens) on it.
      this.host.deadLetter(this.path, letter, 'deadline passed before handling');
      letter.reply.reject(new Stopped(this.path, 'deadline passed'));
      return undefined;
    }
    const entry = this.def.entries[letter.type]!;
    ctx.letter = letter;
    const x = this.ext;
    if (x !== null) {
      x.abort = null;
      if (this.opts?.child?.maxHandlerMs != null || this.opts?.child?.heartbeatMs != null) {
        x.handlerStartedAt = Date.now();
        x.lastBeat = x.handlerStartedAt;
      }
    }
    if (letter.kind !== LetterKind.ask) {
      // The tell path, kept separate and short: it is the hottest code in the runtime.
      ctx.failure = null;
      let next: unknown;
      try {
        next = entry.handler(this.state, letter.body, ctx as never);
      } catch (err) {
        this.failed(letter, null, err);
        return undefined;
      }
      if (next instanceof Promise) {
        const gen = this.gen;
        return next.then(
          (s) => {
            if (gen === this.gen) this.finished(letter, ctx, s);
          },
          (err) => {
            if (gen === this.gen) this.failed(letter, null, err);
          },
        );
      }
      if (ctx.failure !== null) this.failed(letter, null, new ReportedFailure(ctx.failure));
      else {
        if (next !== undefined) this.state = next;
        if (this.def.snapshot !== undefined) this.takeSnapshot();
      }
      return undefined;
    }
    const hctx = new AskCtx(ctx, letter, entry.reply!);
    let out: unknown;
    try {
      out = entry.handler(this.state, letter.body, hctx as never);
    } catch (err) {
      this.failed(letter, hctx, err);
      return undefined;
    }
    if (out instanceof Promise) {
      const gen = this.gen;
      return out.then(
        (s) => {
          if (gen === this.gen) this.finished(letter, hctx, s);
        },
        (err) => {
          if (gen === this.gen) this.failed(letter, hctx, err);
        },
      );
    }
    this.finished(letter, hctx, out);
    return undefined;
  }

  private invokeSystem(letter: Letter): Promise<unknown> | undefined {
    const ctx = this.context();
    ctx.letter = letter;
    ctx.failure = null;
    let out: unknown;
    try {
      if (letter.type === SYS_START) out = this.def.onStart?.(this.state, ctx);
      else if (letter.type === SYS_TERMINATED) {
        const t = letter.body as Terminated;
        const watching = this.ext?.watching;
        // An unwatch after the stop was queued suppresses the notice, as in Akka.
        if (!watching?.delete(t.ref.path)) return undefined;
        out = this.def.onTerminated?.(this.state, t, ctx);
      } else {
        // Supervision messages are runtime code: their failures are bugs, not actor crashes.
        return this.host.supervise(this, letter.body);
      }
    } catch (err) {
      this.failed(letter, null, err);
      return undefined;
    }
    if (out instanceof Promise) {
      const gen = this.gen;
      return out.then(
        (s) => {
          if (gen === this.gen) this.finished(letter, ctx, s);
        },
        (err) => {
          if (gen === this.gen) this.failed(letter, null, err);
        },
      );
    }
    if (ctx.failure !== null) this.failed(letter, null, new ReportedFailure(ctx.failure));
    else this.finished(letter, null, out);
    return undefined;
  }

  private finished(letter: Letter, hctx: CellContext | AskCtx | null, next: unknown): void {
    if (this.status !== RUNNING) return;
    if (letter.type === SYS_START && (hctx === null || hctx.failure === null))
      this.settleStart(null);
    if (hctx !== null && hctx.failure !== null) {
      // fail(reason) was reported, even if the handler caught what it threw.
      this.failed(letter, hctx, new ReportedFailure(hctx.failure));
      return;
    }
    if (next !== undefined) this.state = next;
    if (hctx instanceof AskCtx && !hctx.answered) {
      hctx.answered = true;
      letter.reply!.reject(new NoReply(this.path, letter.type));
    }
    if (this.def.snapshot !== undefined) this.takeSnapshot();
  }

  /** After each handled message, when the actor keeps snapshots: what a restart resumes from. */
  private takeSnapshot(): void {
    const x = this.extras();
    try {
      x.snapshot = this.def.snapshot!(this.state);
      x.hasSnapshot = true;
    } catch (err) {
      this.host.log.error({ actor: this.path, err }, 'snapshot failed; keeping the previous one');
    }
  }

  private failed(letter: Letter, hctx: CellContext | AskCtx | null, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    if (letter.type === SYS_START) this.settleStart(err instanceof Error ? err : new Error(reason));
    if (hctx instanceof AskCtx && !hctx.answered) {
      hctx.answered = true;
      // A deadline is end to end: a nested ask that ran out of the time it inherited means
      // this ask ran out of time too, whichever answer reaches the asker first.
      const answer =
        err instanceof Timeout
          ? new Timeout(this.path, letter.type, err.afterMs)
          : new ActorFailed(this.path, reason, { cause: err });
      letter.reply!.reject(answer);
    }
    if (this.status !== RUNNING) return;
    this.host.onFailure(this, reason, err, letter.type === SYS_START ? 'start' : 'message');
  }

  /**
   * Crashed: stop processing, keep the mailbox, abandon any running handler. The parent
   * decides what comes next (restart in place, stop, give up).
   */
  suspend(reason: string): void {
    if (this.status !== RUNNING) return;
    this.status = SUSPENDED;
    this.gen++;
    const x = this.extras();
    x.lastFailure = reason;
    x.handlerStartedAt = 0;
    x.abort?.abort(new Error(reason));
    x.abort = null;
    x.current = null;
    this.cancelTimers();
    this.goIdle();
  }

  /**
   * The watchdog's verdict: the running handler is abandoned and its asker hears `Hung` at
   * once, not a timeout. The crash then goes to the parent like any other.
   */
  hang(reason: string): void {
    if (this.status !== RUNNING) return;
    const x = this.extras();
    const cur = x.current;
    x.hung = true;
    if (cur?.reply) cur.reply.reject(new Hung(this.path, reason));
    this.host.onFailure(this, reason, new Hung(this.path, reason), 'message');
  }

  /** State for a restart: from the last snapshot when the actor keeps them, else fresh. */
  private restartState(): unknown {
    const x = this.ext;
    if (x?.hasSnapshot) {
      return this.def.restore ? this.def.restore(x.snapshot, this.args as never) : x.snapshot;
    }
    return this.def.state(this.args as never);
  }

  /**
   * Restart in place after a crash: children stop first (a restarted actor starts its own
   * again), then state is rebuilt and the start hook runs. The mailbox is kept: nothing sent
   * to the actor while it was down is lost.
   */
  async restartInPlace(): Promise<void> {
    if (this.status !== SUSPENDED) return;
    await this.stopChildren('parent restarting');
    if (this.status !== SUSPENDED) return;
    let state: unknown;
    try {
      state = this.restartState();
    } catch (err) {
      // Building state failed: that is a start failure of the new incarnation.
      const reason = err instanceof Error ? err.message : String(err);
      this.status = RUNNING;
      this.host.onFailure(this, reason, err, 'start');
      return;
    }
    this.state = state;
    this.gen++;
    const x = this.extras();
    x.restarts++;
    x.hung = false;
    x.startedAt = Date.now();
    x.lastBeat = x.startedAt;
    this.status = RUNNING;
    this.startDone = null;
    this.host.emit({ kind: 'restarted', path: this.path, restarts: x.restarts, at: Date.now() });
    this.start();
    if (this.flags === 0 && this.hasWork()) this.wake();
  }

  get restarts(): number {
    return this.ext?.restarts ?? 0;
  }

  get lastFailure(): string | null {
    return this.ext?.lastFailure ?? null;
  }

  get startedAt(): number {
    // Reading it (troupe tree, ps) must not allocate the extras of every idle actor.
    return this.ext === null ? EPOCH + this.born * 100 : this.ext.startedAt;
  }

  /** For the watchdog: when the running handler started (0 when idle) and the last heartbeat. */
  get handlerStartedAt(): number {
    return this.ext?.handlerStartedAt ?? 0;
  }

  get lastBeat(): number {
    return this.ext?.lastBeat ?? 0;
  }

  heartbeat(): void {
    this.extras().lastBeat = Date.now();
  }

  /** Aborted when the running handler is abandoned (hung, crashed, stopped). */
  signal(): AbortSignal {
    const x = this.extras();
    if (x.abort === null) x.abort = new AbortController();
    return x.abort.signal;
  }

  context(): CellContext {
    if (this.ctx === null) this.ctx = new CellContext(this);
    return this.ctx;
  }

  cancelTimers(): void {
    const t = this.ext?.timers;
    if (!t) return;
    for (const h of t.values()) clearTimeout(h);
    t.clear();
  }

  private async stopChildren(reason: string): Promise<void> {
    // A supervisor stops its children through its records: remote ones too, in start order.
    const custom = (this.def as { stopChildren?: (state: unknown) => Promise<void> }).stopChildren;
    if (custom !== undefined) await custom(this.state);
    for (let c = this.lastChild; c !== null; ) {
      const prev = c.prev;
      await c.stop(reason);
      c = prev;
    }
  }

  /**
   * Stop: children first (last spawned first), then wait for a running handler up to the
   * shutdown timeout (`timeoutMs`, the child spec's, or the system's), then the stop hook;
   * whatever is still queued is refused with its reason.
   */
  stop(reason: string, timeoutMs?: number): Promise<void> {
    const x = this.extras();
    if (x.stopPromise) return x.stopPromise;
    const wasSuspended = this.status === SUSPENDED;
    this.status = STOPPING;
    x.stopPromise = this.doStop(
      reason,
      timeoutMs ?? this.opts?.child?.shutdownMs ?? this.host.stopTimeoutMs,
      wasSuspended,
    );
    return x.stopPromise;
  }

  private async doStop(reason: string, timeoutMs: number, wasSuspended: boolean): Promise<void> {
    const x = this.ext!;
    await this.stopChildren('parent stopped');
    if (this.busy) {
      if (timeoutMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.whenIdle(),
          ...(timeoutMs === Number.POSITIVE_INFINITY
            ? []
            : [
                new Promise<void>((res) => {
                  timer = setTimeout(res, timeoutMs);
                }),
              ]),
        ]);
        clearTimeout(timer);
      }
      const cur = x.current;
      if (this.busy && cur?.reply)
        cur.reply.reject(new Stopped(this.path, 'stopped while handling'));
    }
    this.gen++;
    x.abort?.abort(new Error(`stopped: ${reason}`));
    this.cancelTimers();
    if (this.def.onStop && !wasSuspended) {
      try {
        const ctx = this.context();
        ctx.letter = null;
        await this.def.onStop(this.state, ctx);
      } catch (err) {
        this.host.log.error({ actor: this.path, err }, 'onStop failed');
      }
    }
    this.status = STOPPED;
    // The error (and its stack) only when there is mail to refuse: most actors stop empty.
    if (this.mailbox !== null && this.mailbox.length > 0) {
      const err = new Stopped(this.path);
      for (const l of this.mailbox.drain()) this.refuse(l, err, `stopped: ${reason}`);
    }
    this.sysq = null;
    this.host.unregister(this);
    const watchers = x.watchers;
    if (watchers) {
      const t: Terminated = { ref: this.ref, reason };
      for (const w of watchers) this.host.notifyTerminated(w, t);
    }
    if ((this.flags & (F_SCHEDULED | F_BUSY)) !== 0) {
      this.flags = 0;
      this.host.activity(-1);
    }
    const waiters = x.idleWaiters;
    x.idleWaiters = null;
    if (waiters) for (const f of waiters) f();
    this.host.emit({ kind: 'stopped', path: this.path, reason, at: Date.now() });
  }

  /** The actor stops itself: an exit with reason `normal`, which its parent may act on. */
  stopSelf(): Promise<void> {
    const p = this.stop('normal');
    void p.then(() => this.host.onSelfStop(this, 'normal'));
    return p;
  }

  /** For a new watcher: record it, or say at once that this actor is already gone. */
  addWatcher(watcher: string): boolean {
    if (this.status === STOPPED) return false;
    const x = this.extras();
    (x.watchers ??= new Set()).add(watcher);
    return true;
  }

  removeWatcher(watcher: string): void {
    this.ext?.watchers?.delete(watcher);
  }
}

export type { ReplyTarget };
