import type { ActorRef } from './address.ts';
import type { Cell } from './cell.ts';
import type { CellContext } from './cell-context.ts';
import {
  type CellExtras,
  type CellOptions,
  type ChildSettings,
  EPOCH,
  F_BUSY,
  F_SCHEDULED,
  INLINE_BUDGET,
  RUNNING,
  STOPPED,
  STOPPING,
  SUSPENDED,
} from './cell-types.ts';
import type { OverflowPolicy } from './context.ts';
import type { ActorDef, MessageEntry } from './define-actor.ts';
import { type Runnable, schedule } from './dispatcher.ts';
import { MailboxFull, Rejected, Stopped, type TroupeError } from './errors.ts';
import type { Kernel } from './kernel.ts';
import { Letter, LetterKind, SYS_START } from './letter.ts';
import { BoundedQueue } from './mailbox/bounded.ts';
import { LetterQueue } from './mailbox/letter-queue.ts';
import { DEFAULT_CAPACITY, DEFAULT_OVERFLOW } from './mailbox-settings.ts';
import type { TypeStats } from './telemetry.ts';

/**
 * The part of a running actor that takes mail: state, mailbox, system queue, place in the
 * tree, the run loop. cell.ts adds what handles it (handlers, failures, restart, stop).
 */
export abstract class CellBase implements Runnable {
  state: unknown;
  mailbox: LetterQueue | null = null;
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
  protected readonly born = ((Date.now() - EPOCH) / 100) | 0;
  private refCache: ActorRef | null = null;

  constructor(
    readonly host: Kernel,
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
    return this.opts?.capacity ?? this.def.mailbox?.capacity ?? DEFAULT_CAPACITY;
  }

  get overflow(): OverflowPolicy {
    return this.opts?.overflow ?? this.def.mailbox?.overflow ?? DEFAULT_OVERFLOW;
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
  protected startDone: true | Error | null = null;

  protected settleStart(err: Error | null): void {
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
      mb = new LetterQueue(this.capacity, this.overflow);
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
   * A tell from this process, as `deliver(letter, true)` would take it. The common case (a
   * plain body of a tell type, room in a running mailbox) is queued as its parts, with no
   * Letter made until it is handled; anything else takes the general path.
   */
  deliverTell(type: string, body: unknown, from: string | null, trace: string | null): void {
    const mb = this.mailbox;
    if (mb !== null && this.status < STOPPING && !mb.full) {
      const entry: MessageEntry | undefined = this.def.entries[type];
      if (entry?.kind === 'tell' && entry.plain !== null && entry.plain(body)) {
        mb.pushTell(type, body, from, trace);
        if (this.flags === 0 && this.status === RUNNING) this.wake();
        return;
      }
    }
    this.deliver(new Letter(LetterKind.tell, type, body, from, null, 0, trace, 0), true);
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

  protected wake(): void {
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

  protected hasWork(): boolean {
    if (this.status !== RUNNING) return false;
    if (this.sysq !== null && this.sysq.length > 0) return true;
    return this.mailbox !== null && this.mailbox.length > 0;
  }

  protected goIdle(): void {
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

  /** Run one letter (cell.ts). Returns a promise when the handler went async. */
  protected abstract invoke(letter: Letter): Promise<unknown> | undefined;

  /** The actor's context, made on first use (cell.ts). */
  abstract context(): CellContext;
}
