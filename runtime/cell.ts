import { CellBase } from './cell-base.ts';
import { AskCtx, CellContext, ReportedFailure } from './cell-context.ts';
import { EPOCH, F_BUSY, F_SCHEDULED, RUNNING, STOPPED, STOPPING, SUSPENDED } from './cell-types.ts';
import type { Terminated } from './context.ts';
import { ActorFailed, Hung, NoReply, Stopped, Timeout } from './errors.ts';
import { type Letter, LetterKind, SYS_START, SYS_TERMINATED } from './letter.ts';
import type { ReplyTarget } from './pending-ask.ts';

export type {
  CellHost,
  CellOptions,
  ChildSettings,
  FailurePhase,
} from './cell-types.ts';

/**
 * One running actor: state, mailbox, place in the tree. Processes one message at a time;
 * a handler returning a promise holds the mailbox until it settles. What takes mail is in
 * cell-base.ts; here is what handles it: handlers, failures, restart in place, stop.
 */
export class Cell extends CellBase {
  /** Run one letter. Returns a promise when the handler went async. */
  protected override invoke(letter: Letter): Promise<unknown> | undefined {
    if (letter.kind === LetterKind.system) return this.invokeSystem(letter);
    const ctx = this.context();
    ctx.handled++;
    if (letter.deadline !== 0 && letter.reply !== null && letter.deadline <= Date.now()) {
      // The asker has already timed out: do not spend work (or model tokens) on it.
      this.host.deadLetter(this.path, letter, 'deadline passed before handling');
      // Timeout, as the asker's own clock would say: the deadline passed, nothing stopped.
      letter.reply.reject(new Timeout(this.path, letter.type, 0));
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
      if (next instanceof Promise) return this.settleLater(next, letter, ctx);
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
    if (out instanceof Promise) return this.settleLater(out, letter, hctx);
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
    if (out instanceof Promise) return this.settleLater(out, letter, ctx);
    if (ctx.failure !== null) this.failed(letter, null, new ReportedFailure(ctx.failure));
    else this.finished(letter, null, out);
    return undefined;
  }

  /**
   * A handler that went async ends when its promise settles, unless the cell was suspended or
   * restarted meanwhile (a new gen): then what it settles with is stale and dropped. Kept out
   * of invoke, so that the synchronous path captures nothing for these closures.
   */
  private settleLater(
    out: Promise<unknown>,
    letter: Letter,
    hctx: CellContext | AskCtx,
  ): Promise<unknown> {
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

  override context(): CellContext {
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
