import type { Logger } from 'pino';
import type { ActorRef, Ref } from './address.ts';
import type {
  AskBody,
  AskReply,
  AskType,
  Protocol,
  Schema,
  TellBody,
  TellType,
} from './protocol.ts';

/**
 * An ask must say when to give up: a relative timeout or an absolute deadline (epoch ms),
 * at most 2^31-1 ms away. `reply`: the ask's reply schema (e.g. `Def.asks.get.reply`); a
 * reply that arrives over the broker and does not match it fails the ask with Rejected.
 */
export type AskOptions =
  | { readonly timeout: number; readonly traceparent?: string; readonly reply?: Schema }
  | { readonly deadline: number; readonly traceparent?: string; readonly reply?: Schema };

export interface TellOptions {
  readonly traceparent?: string;
}

/** The narrow view a sender needs: outside code and handlers both send through it. */
export interface Sender {
  tell<P extends Protocol, K extends TellType<P>>(
    to: Ref<P>,
    type: K,
    body: TellBody<P, K>,
    opts?: TellOptions,
  ): void;
  ask<P extends Protocol, K extends AskType<P>>(
    to: Ref<P>,
    type: K,
    body: AskBody<P, K>,
    opts: AskOptions,
  ): Promise<AskReply<P, K>>;
}

/** Keyed timers that send a message to the actor itself; all cancelled when it stops. */
export interface Timers {
  /** Send `type`/`body` to self once after `delayMs`; replaces a timer with the same key. */
  once(key: string, delayMs: number, type: string, body: unknown): void;
  /** Send `type`/`body` to self every `intervalMs`; replaces a timer with the same key. */
  repeat(key: string, intervalMs: number, type: string, body: unknown): void;
  cancel(key: string): void;
  isActive(key: string): boolean;
}

/** Delivered to a watcher when a watched actor stops, for whatever reason. */
export interface Terminated {
  readonly ref: ActorRef;
  readonly reason: string;
}

export interface SpawnOptions<A> {
  /** Path segment under the parent; generated from the type when absent. */
  readonly name?: string;
  readonly args?: A;
  readonly mailbox?: MailboxOptions;
  /** Also serve the sharded type subject: any instance may take a message sent to the type. */
  readonly shard?: boolean;
}

export type OverflowPolicy = 'fail' | 'dropOldest' | 'dropNewest';

export interface MailboxOptions {
  /** Most messages waiting; default 10 000. */
  readonly capacity?: number;
  /** What happens to a message that does not fit; default `fail` (the sender gets MailboxFull). */
  readonly overflow?: OverflowPolicy;
}

/**
 * What a handler sees: who it is, who sent the message, and ways to act. `P` is the actor's
 * own protocol, so a tell to `self` is checked.
 */
export interface ActorContext<P extends Protocol = Protocol> extends Sender {
  readonly self: ActorRef<P>;
  /** The system name. */
  readonly system: string;
  /** The node (process) the actor runs on. */
  readonly node: string;
  /**
   * The sending actor, or null when the message came from outside any actor. Its protocol is
   * not known here (any actor may send); for a typed answer path put `actorRef<P>()` in the
   * message schema (`replyTo`), which the sender must fill with a ref of that protocol.
   */
  readonly sender: ActorRef | null;
  /** Absolute deadline of the current message (epoch ms), 0 when it has none. */
  readonly deadline: number;
  readonly traceparent: string | null;
  readonly log: Logger;
  readonly timers: Timers;
  /**
   * Record an audit event (`kind` like `model.call`, `tool.call`, `decision`): it reaches the
   * ledger with this actor's path, node and trace. Bodies belong in `data` only by choice.
   */
  audit(kind: string, data?: Record<string, unknown>): void;
  /**
   * Report a failure that is not an exception (invalid model output, a spent tool-error
   * budget): the handler stops here and the failure counts toward restart intensity like a
   * crash. Throws; a handler that catches it still fails.
   */
  fail(reason: string): never;
  /** Proof of progress during long work: resets the watchdog's heartbeat clock. */
  heartbeat(): void;
  /** Aborted when this handler is abandoned (hung, crashed, stopped): pass it to fetch and model calls. */
  readonly signal: AbortSignal;
  spawn<S, A, P extends Protocol>(def: SpawnableDef<S, A, P>, opts?: SpawnOptions<A>): ActorRef<P>;
  /** Stop a child (or this actor, with no argument). */
  stop(ref?: ActorRef): Promise<void>;
  /** Receive `onTerminated` when `ref` stops. Watching an actor that does not exist terminates at once. */
  watch(ref: ActorRef): void;
  unwatch(ref: ActorRef): void;
}

/** In an ask handler: answer now with `reply`, or later through `deferReply`. */
export interface AskContext<R, P extends Protocol = Protocol> extends ActorContext<P> {
  reply(value: R): void;
  /** Take the reply out of the handler, e.g. to answer after another actor responds. */
  deferReply(): ReplyHandle<R>;
}

export interface ReplyHandle<R> {
  reply(value: R): void;
  fail(error: Error): void;
}

/** The part of a definition spawn needs; keeps the context free of handler generics. */
export interface SpawnableDef<S, A, P extends Protocol> {
  readonly type: string;
  readonly __state?: S;
  readonly __args?: A;
  readonly __protocol?: P;
}
