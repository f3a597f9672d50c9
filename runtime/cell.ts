import type { Logger } from 'pino';
import type { ActorRef } from './address.ts';
import { AskCtx, CellContext } from './cell-context.ts';
import type { OverflowPolicy, Terminated } from './context.ts';
import type { ActorDef, MessageEntry } from './define-actor.ts';
import { type Runnable, schedule } from './dispatcher.ts';
import {
  ActorFailed,
  MailboxFull,
  NoReply,
  Rejected,
  Stopped,
  type TroupeError,
} from './errors.ts';
import type { RuntimeEvent } from './events.ts';
import { Letter, LetterKind, SYS_START, SYS_TERMINATED } from './letter.ts';
import { BoundedQueue } from './mailbox/bounded.ts';
import type { ReplyTarget } from './pending-ask.ts';

const RUNNING = 0;
const STOPPING = 1;
const STOPPED = 2;

const F_SCHEDULED = 1;
const F_BUSY = 2;

/** What a cell needs from its system; the system implements it. */
export interface CellHost {
  readonly name: string;
  readonly node: string;
  readonly log: Logger;
  readonly stopTimeoutMs: number;
  deadLetter(to: string, letter: Letter, reason: string): void;
  emit(e: RuntimeEvent): void;
  hasListeners(): boolean;
  unregister(cell: Cell): void;
  /** A cell turned busy (true) or idle (false): the system counts them for graceful shutdown. */
  activity(delta: 1 | -1): void;
  /** Decide what happens after a handler failed; the default restarts with fresh state. */
  onFailure(cell: Cell, error: unknown): void;
  notifyTerminated(watcher: string, t: Terminated): void;
}

/** Per-cell settings that differ from the definition's; absent for most actors. */
export interface CellOptions {
  capacity: number;
  overflow: OverflowPolicy;
  shard: boolean;
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
}

/**
 * One running actor: state, mailbox, place in the tree. Processes one message at a time;
 * a handler returning a promise holds the mailbox until it settles.
 */
export class Cell implements Runnable {
  state: unknown;
  mailbox: BoundedQueue<Letter> | null = null;
  sysq: Letter[] | null = null;
  status = RUNNING;
  flags = 0;
  // Children as an intrusive list in spawn order: O(1) add/remove, reverse walk for shutdown.
  firstChild: Cell | null = null;
  lastChild: Cell | null = null;
  prev: Cell | null = null;
  next: Cell | null = null;
  ctx: CellContext | null = null;
  ext: CellExtras | null = null;
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
  }

  get ref(): ActorRef {
    if (!this.refCache) this.refCache = { system: this.host.name, path: this.path };
    return this.refCache;
  }

  get stopped(): boolean {
    return this.status !== RUNNING;
  }

  get capacity(): number {
    return this.opts?.capacity ?? this.def.mailbox?.capacity ?? 10_000;
  }

  get overflow(): OverflowPolicy {
    return this.opts?.overflow ?? this.def.mailbox?.overflow ?? 'fail';
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

  removeChild(c: Cell): void {
    if (c.prev) c.prev.next = c.next;
    else this.firstChild = c.next;
    if (c.next) c.next.prev = c.prev;
    else this.lastChild = c.prev;
    c.prev = null;
    c.next = null;
  }

  /** Queue the start hook ahead of any message. */
  start(): void {
    if (this.def.onStart)
      this.enqueueSystem(new Letter(LetterKind.system, SYS_START, null, null, null, 0, null, 0));
  }

  /**
   * Validate and enqueue a user message. Validation happens here, at the receiving edge, so
   * a bad message never reaches a handler. Throws MailboxFull only for a `fail` policy and a
   * tell from this process (`throwOnFull`); every other rejection goes to the reply target or
   * to dead letters, with its reason.
   */
  deliver(letter: Letter, throwOnFull: boolean): void {
    if (this.status !== RUNNING) {
      this.refuse(letter, new Stopped(this.path), 'stopped');
      return;
    }
    const entry: MessageEntry | undefined = this.def.entries[letter.type];
    const isAsk = letter.kind === LetterKind.ask;
    if (entry === undefined || (entry.kind === 'ask') !== isAsk) {
      const why =
        entry === undefined
          ? `no message type ${letter.type}`
          : `${letter.type} is ${entry.kind === 'ask' ? 'an ask' : 'a tell'}, sent as ${isAsk ? 'an ask' : 'a tell'}`;
      this.refuse(
        letter,
        new Rejected(this.path, letter.type, [{ message: why }], why),
        `rejected: ${why}`,
      );
      return;
    }
    const parsed = entry.schema.safeParse(letter.body);
    if (!parsed.success) {
      const err = new Rejected(this.path, letter.type, parsed.error.issues);
      this.refuse(letter, err, `rejected: ${err.message}`);
      return;
    }
    letter.body = parsed.data;
    let mb = this.mailbox;
    if (mb === null) {
      mb = new BoundedQueue<Letter>(this.capacity);
      this.mailbox = mb;
    }
    if (mb.full) {
      const policy = this.overflow;
      const err = new MailboxFull(this.path, mb.capacity);
      if (policy === 'dropOldest') {
        const old = mb.shift()!;
        this.refuse(old, err, 'mailboxFull: dropped oldest');
      } else if (policy === 'dropNewest' || !throwOnFull || isAsk) {
        this.refuse(
          letter,
          err,
          `mailboxFull: ${policy === 'dropNewest' ? 'dropped newest' : 'sender failed'}`,
        );
        return;
      } else {
        throw err;
      }
    }
    mb.push(letter);
    if ((this.flags & (F_SCHEDULED | F_BUSY)) === 0) this.wake();
  }

  /** Runtime messages (start, terminated) skip validation and the mailbox bound. */
  enqueueSystem(letter: Letter): void {
    if (this.status === STOPPED) return;
    if (this.sysq === null) this.sysq = [];
    this.sysq.push(letter);
    if ((this.flags & (F_SCHEDULED | F_BUSY)) === 0) this.wake();
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
    if (this.status === STOPPED) return 0;
    let n = 0;
    while (n < budget) {
      let letter: Letter | undefined;
      const sq = this.sysq;
      if (sq !== null && sq.length > 0) letter = sq.shift();
      else if (this.status === RUNNING && this.mailbox !== null) letter = this.mailbox.shift();
      if (letter === undefined) break;
      n++;
      const pending = this.invoke(letter);
      if (pending !== undefined) {
        // Busy: deliveries queue up but do not wake the cell until the handler settles.
        this.flags = (this.flags & ~F_SCHEDULED) | F_BUSY;
        this.extras().current = letter;
        pending.then(
          () => this.afterAsync(),
          () => this.afterAsync(),
        );
        return n;
      }
      if (this.status === STOPPED) return n;
    }
    if (this.hasWork()) schedule(this);
    else this.goIdle(F_SCHEDULED);
    return n;
  }

  private afterAsync(): void {
    if (this.ext) this.ext.current = null;
    if (this.status === STOPPED) {
      this.flags = 0;
      return;
    }
    if (this.hasWork()) {
      this.flags = (this.flags & ~F_BUSY) | F_SCHEDULED;
      schedule(this);
    } else this.goIdle(F_BUSY);
  }

  private hasWork(): boolean {
    if (this.status === STOPPED) return false;
    if (this.sysq !== null && this.sysq.length > 0) return true;
    return this.status === RUNNING && this.mailbox !== null && this.mailbox.length > 0;
  }

  private goIdle(flag: number): void {
    this.flags &= ~flag;
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
    if (letter.deadline !== 0 && letter.reply !== null && letter.deadline <= Date.now()) {
      // The asker has already timed out: do not spend work (or model tokens) on it.
      this.host.deadLetter(this.path, letter, 'deadline passed before handling');
      letter.reply.reject(new Stopped(this.path, 'deadline passed'));
      return undefined;
    }
    const entry = this.def.entries[letter.type]!;
    const ctx = this.context();
    ctx.letter = letter;
    if (letter.kind !== LetterKind.ask) {
      // The tell path, kept separate and short: it is the hottest code in the runtime.
      let next: unknown;
      try {
        next = entry.handler(this.state, letter.body, ctx as never);
      } catch (err) {
        this.failed(letter, null, err);
        return undefined;
      }
      if (next === undefined) return undefined;
      if (next instanceof Promise) {
        return next.then(
          (s) => this.finished(letter, null, s),
          (err) => this.failed(letter, null, err),
        );
      }
      this.state = next;
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
      return out.then(
        (s) => this.finished(letter, hctx, s),
        (err) => this.failed(letter, hctx, err),
      );
    }
    this.finished(letter, hctx, out);
    return undefined;
  }

  private invokeSystem(letter: Letter): Promise<unknown> | undefined {
    const ctx = this.context();
    ctx.letter = letter;
    let out: unknown;
    try {
      if (letter.type === SYS_START) out = this.def.onStart?.(this.state, ctx);
      else if (letter.type === SYS_TERMINATED) {
        const t = letter.body as Terminated;
        const watching = this.ext?.watching;
        // An unwatch after the stop was queued suppresses the notice, as in Akka.
        if (!watching?.delete(t.ref.path)) return undefined;
        out = this.def.onTerminated?.(this.state, t, ctx);
      } else return undefined;
    } catch (err) {
      this.failed(letter, null, err);
      return undefined;
    }
    if (out instanceof Promise) {
      return out.then(
        (s) => this.finished(letter, null, s),
        (err) => this.failed(letter, null, err),
      );
    }
    this.finished(letter, null, out);
    return undefined;
  }

  private finished(letter: Letter, hctx: CellContext | AskCtx | null, next: unknown): void {
    if (this.status === STOPPED) return;
    if (next !== undefined) this.state = next;
    if (hctx instanceof AskCtx && !hctx.answered) {
      hctx.answered = true;
      letter.reply!.reject(new NoReply(this.path, letter.type));
    }
  }

  private failed(letter: Letter, hctx: CellContext | AskCtx | null, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    if (hctx instanceof AskCtx && !hctx.answered) {
      hctx.answered = true;
      letter.reply!.reject(new ActorFailed(this.path, reason, { cause: err }));
    }
    if (this.status === STOPPED) return;
    this.host.onFailure(this, err);
  }

  /** Fresh state from the definition; the mailbox survives so no message is lost. */
  restart(): void {
    this.cancelTimers();
    this.state = this.def.state(this.args as never);
    const x = this.extras();
    x.restarts++;
    this.host.emit({ kind: 'restarted', path: this.path, restarts: x.restarts, at: Date.now() });
    this.start();
  }

  get restarts(): number {
    return this.ext?.restarts ?? 0;
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

  /**
   * Stop: children first (last spawned first), then wait for a running handler up to the
   * stop timeout, then the stop hook; whatever is still queued is refused with its reason.
   */
  stop(reason: string): Promise<void> {
    const x = this.extras();
    if (x.stopPromise) return x.stopPromise;
    this.status = STOPPING;
    x.stopPromise = this.doStop(reason);
    return x.stopPromise;
  }

  private async doStop(reason: string): Promise<void> {
    for (let c = this.lastChild; c !== null; ) {
      const prev = c.prev;
      await c.stop('parent stopped');
      c = prev;
    }
    if (this.busy) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.whenIdle(),
        new Promise<void>((res) => {
          timer = setTimeout(res, this.host.stopTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      const cur = this.ext!.current;
      if (this.busy && cur?.reply)
        cur.reply.reject(new Stopped(this.path, 'stopped while handling'));
    }
    this.cancelTimers();
    if (this.def.onStop) {
      try {
        const ctx = this.context();
        ctx.letter = null;
        await this.def.onStop(this.state, ctx);
      } catch (err) {
        this.host.log.error({ actor: this.path, err }, 'onStop failed');
      }
    }
    this.status = STOPPED;
    const err = new Stopped(this.path);
    if (this.mailbox)
      for (const l of this.mailbox.drain()) this.refuse(l, err, `stopped: ${reason}`);
    this.sysq = null;
    this.host.unregister(this);
    const watchers = this.ext!.watchers;
    if (watchers) {
      const t: Terminated = { ref: this.ref, reason };
      for (const w of watchers) this.host.notifyTerminated(w, t);
    }
    if ((this.flags & (F_SCHEDULED | F_BUSY)) !== 0) {
      this.flags = 0;
      this.host.activity(-1);
    }
    const waiters = this.ext!.idleWaiters;
    if (waiters) for (const f of waiters) f();
    this.host.emit({ kind: 'stopped', path: this.path, reason, at: Date.now() });
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
