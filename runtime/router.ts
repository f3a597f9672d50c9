import { decodeBody, type Envelope, Kind } from '../protocols/envelope/index.ts';
import {
  type ActorRef,
  checkRemoteRef,
  isShardRef,
  isToken,
  parseRef,
  qualifiedFrom,
  type Ref,
  targetOf,
} from './address.ts';
import type { Cell } from './cell.ts';
import type { AskOptions, TellOptions } from './context.ts';
import { fromWireError, InvalidArgument, NoSuchActor, Rejected, Timeout } from './errors.ts';
import { KernelService } from './kernel-service.ts';
import { Letter, LetterKind, SYS_TERMINATED } from './letter.ts';
import { DeadlineWheel, PendingAsk, type ReplyTarget } from './pending-ask.ts';
import { checkAskOptions } from './system-options.ts';
import type { TelemetryPort } from './telemetry.ts';
import { childTraceparent, isTraceparent } from './trace.ts';

const MAX_HOPS = 32;

/**
 * Where messages go: tells and asks out of this process's actors or from outside (to a local
 * cell directly, else through the transport), and what the transport brings in (messages,
 * system messages, replies). Outstanding asks wait on one deadline wheel.
 */
export class Router extends KernelService {
  readonly wheel = new DeadlineWheel();
  private corrCounter = 0;

  private get telemetry(): TelemetryPort | null {
    return this.k.telemetry;
  }
  private pickShard(type: string): Cell | undefined {
    return this.k.registry.pickShard(type);
  }
  private deadLetter(to: string, letter: Letter, reason: string): void {
    this.k.deadLetter(to, letter, reason);
  }

  /** A correlation id for an ask or system request of this process. */
  nextCorr(): number {
    return ++this.corrCounter;
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

  send(
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
      cell.deliverTell(type, body, fromPath, trace);
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

  request(
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
}
