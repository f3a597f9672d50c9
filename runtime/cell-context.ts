import type { Logger } from 'pino';
import { type ActorRef, type Ref, senderRef } from './address.ts';
import type { AuditTrail } from './audit-trail.ts';
import type { Cell } from './cell.ts';
import type {
  ActorContext,
  AskContext,
  AskOptions,
  ReplyHandle,
  SpawnableDef,
  SpawnOptions,
  TellOptions,
  Timers,
} from './context.ts';
import { InvalidArgument, Rejected } from './errors.ts';
import type { Letter } from './letter.ts';
import type { Protocol, Schema } from './protocol.ts';
import type { Router } from './router.ts';
import type { TypeStats } from './telemetry.ts';

/** What a context needs from the system to act on a handler's behalf. */
export interface ContextHost {
  /** Where a handler's tells and asks go, sent from its cell under the letter it handles. */
  readonly router: Pick<Router, 'send' | 'request'>;
  spawnChild(
    parent: Cell,
    def: SpawnableDef<unknown, unknown, Protocol>,
    opts?: SpawnOptions<unknown>,
  ): ActorRef;
  stopFrom(from: Cell, ref?: ActorRef): Promise<void>;
  watchFrom(from: Cell, ref: ActorRef): void;
  unwatchFrom(from: Cell, ref: ActorRef): void;
  loggerFor(cell: Cell): Logger;
  /** A handler's audit events, recorded as its cell's under the letter it handles. */
  readonly auditTrail: Pick<AuditTrail, 'auditFrom'>;
  timersFor(cell: Cell): Timers;
}

/** What `ctx.fail(reason)` throws: a failure the handler reports rather than a crash. */
export class ReportedFailure extends Error {
  override readonly name = 'ReportedFailure';
}

/**
 * The cell behind a handler's context: the supervisor engine acts on its own cell. Throws
 * for a context the runtime did not make.
 */
export function contextCell(ctx: ActorContext): Cell {
  if (isCellContext(ctx)) return ctx.cell;
  throw new InvalidArgument('not a context made by the runtime');
}

/**
 * Not `instanceof BaseContext`: a user module loaded by the CLI's TypeScript loader brings
 * its own copy of the runtime's modules, and its supervisor runs in the CLI's cells.
 */
function isCellContext(ctx: ActorContext): ctx is ActorContext & { readonly cell: Cell } {
  return 'cell' in ctx && typeof ctx.cell === 'object' && ctx.cell !== null;
}

/** Context methods live on the prototype: no closures per actor or per message. */
abstract class BaseContext implements ActorContext {
  /** Set by fail(): counts as a crash even if the handler catches what fail() threw. */
  failure: string | null = null;

  constructor(readonly cell: Cell) {}

  protected abstract current(): Letter | null;

  private get host(): ContextHost {
    return this.cell.host;
  }

  get self(): ActorRef {
    return this.cell.ref;
  }
  get system(): string {
    return this.cell.host.name;
  }
  get node(): string {
    return this.cell.host.node;
  }
  get sender(): ActorRef | null {
    const from = this.current()?.from;
    return from ? senderRef(this.cell.host.name, from) : null;
  }
  get deadline(): number {
    return this.current()?.deadline ?? 0;
  }
  get traceparent(): string | null {
    return this.current()?.trace ?? null;
  }
  get log(): Logger {
    return this.host.loggerFor(this.cell);
  }
  get timers(): Timers {
    return this.host.timersFor(this.cell);
  }

  tell(to: Ref, type: string, body: unknown, opts?: TellOptions): void {
    this.host.router.send(this.cell, this.current(), to, type, body, opts);
  }

  ask(to: Ref, type: string, body: unknown, opts: AskOptions): Promise<never> {
    return this.host.router.request(
      this.cell,
      this.current(),
      to,
      type,
      body,
      opts,
    ) as Promise<never>;
  }

  spawn<S, A, P extends Protocol>(def: SpawnableDef<S, A, P>, opts?: SpawnOptions<A>): ActorRef<P> {
    return this.host.spawnChild(
      this.cell,
      def as SpawnableDef<unknown, unknown, Protocol>,
      opts as SpawnOptions<unknown>,
    ) as ActorRef<P>;
  }

  stop(ref?: ActorRef): Promise<void> {
    const p = this.host.stopFrom(this.cell, ref);
    // A sync handler cannot await it: a dropped promise must never be an unhandled rejection.
    p.catch(() => {});
    // A stop waits for the running handler to end: awaited by the stopping actor's own handler
    // it would wait out the stop timeout. The stop is under way; resolve now.
    if ((ref === undefined || ref.path === this.cell.path) && this.cell.flags !== 0)
      return Promise.resolve();
    return p;
  }

  watch(ref: ActorRef): void {
    this.host.watchFrom(this.cell, ref);
  }

  audit(kind: string, data?: Record<string, unknown>): void {
    this.host.auditTrail.auditFrom(this.cell, this.current(), kind, data);
  }

  fail(reason: string): never {
    const r = typeof reason === 'string' && reason.length > 0 ? reason : 'failed';
    this.failure = r;
    throw new ReportedFailure(r);
  }

  heartbeat(): void {
    this.cell.heartbeat();
  }

  get signal(): AbortSignal {
    return this.cell.signal();
  }

  unwatch(ref: ActorRef): void {
    this.host.unwatchFrom(this.cell, ref);
  }
}

/** The context tell handlers and hooks get: one per actor, pointed at the current letter. */
export class CellContext extends BaseContext {
  letter: Letter | null = null;
  /**
   * Kernel bookkeeping kept here, not on the cell: only an actor that has run has a context,
   * so an idle actor pays nothing for them. Messages handed to a handler since spawn (across
   * restarts: the context outlives them), and telemetry's counters for the actor's type.
   */
  handled = 0;
  tstats: TypeStats | null = null;
  protected current(): Letter | null {
    return this.letter;
  }
}

/** The context of one ask: it keeps its own letter, so a deferred reply still goes home. */
export class AskCtx extends BaseContext implements AskContext<unknown> {
  answered = false;

  constructor(
    base: CellContext,
    readonly letter: Letter,
    readonly replySchema: Schema,
  ) {
    super(base.cell);
  }

  protected current(): Letter | null {
    return this.letter;
  }

  reply(value: unknown): void {
    if (this.answered) {
      throw new InvalidArgument(`${this.cell.path} replied twice to ${this.letter.type}`);
    }
    this.answered = true;
    this.send(value);
  }

  deferReply(): ReplyHandle<unknown> {
    if (this.answered) {
      throw new InvalidArgument(`${this.cell.path} already replied to ${this.letter.type}`);
    }
    this.answered = true;
    let done = false;
    return {
      reply: (value: unknown) => {
        if (done) throw new InvalidArgument(`reply to ${this.letter.type} already sent`);
        done = true;
        this.send(value);
      },
      fail: (error: Error) => {
        if (done) throw new InvalidArgument(`reply to ${this.letter.type} already sent`);
        done = true;
        this.letter.reply!.reject(error);
      },
    };
  }

  /** Replies are checked against the declared reply schema before they leave. */
  private send(value: unknown): void {
    const parsed = this.replySchema.safeParse(value);
    if (!parsed.success) {
      const err = new Rejected(this.cell.path, `${this.letter.type} reply`, parsed.error.issues);
      this.letter.reply!.reject(err);
      throw err;
    }
    this.letter.reply!.resolve(parsed.data);
  }
}
