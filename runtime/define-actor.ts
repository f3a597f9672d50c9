import type { z } from 'zod';
import { assertToken } from './address.ts';
import type { ActorContext, AskContext, MailboxOptions, Terminated } from './context.ts';
import { InvalidArgument } from './errors.ts';
import { isMailboxCapacity } from './mailbox/index.ts';
import { type BodyCheck, plainCheck } from './plain-body.ts';
import type { AskMap, Protocol, Schema, TellMap } from './protocol.ts';

type Empty = Record<never, never>;

/**
 * A tell handler returns the next state, or nothing to keep the current one. Declared as a
 * method so its parameters compare bivariantly: `ctx` carries the actor's own protocol (for
 * `ctx.self`), and a definition must still widen to `ActorDef` of any protocol, as before.
 */
export type TellHandler<S, M, P extends Protocol = Protocol> = {
  handle(
    state: S,
    msg: M,
    ctx: ActorContext<P>,
  ): S | undefined | void | Promise<S | undefined | void>;
}['handle'];

/** An ask handler answers through `ctx.reply` and, like a tell handler, returns the next state. */
export type AskHandler<S, M, R, P extends Protocol = Protocol> = {
  handle(
    state: S,
    msg: M,
    ctx: AskContext<R, P>,
  ): S | undefined | void | Promise<S | undefined | void>;
}['handle'];

/**
 * The protocol of `ctx.self` in a definition's ask handlers: its own. For the catch-all
 * `ActorDef` (string-keyed maps) it is `never`: there a tell handler is also compared with
 * an ask handler, and only a ref typed `never` fits every ref (nothing can be told through it).
 */
export type AskSelfProtocol<T extends TellMap, K extends AskMap> = string extends keyof T
  ? never
  : string extends keyof K
    ? never
    : Protocol<T, K>;

export type Handlers<S, T extends TellMap, K extends AskMap> = {
  [k in keyof T]: TellHandler<S, z.output<T[k]>, Protocol<T, K>>;
} & {
  [k in keyof K]: AskHandler<
    S,
    z.output<K[k]['request']>,
    z.input<K[k]['reply']>,
    AskSelfProtocol<T, K>
  >;
};

/** A lifecycle hook; a method type for the same bivariance as the handlers. */
type Hook<Params extends unknown[], R> = { hook(...args: Params): R }['hook'];
type Next<S> = S | undefined | void | Promise<S | undefined | void>;

export interface ActorSpec<S, A, T extends TellMap, K extends AskMap> {
  /** The actor's type name: a subject token; sharded instances serve `troupe.<sys>.t.<type>`. */
  readonly type: string;
  readonly tells?: T;
  readonly asks?: K;
  /** Fresh state, from the spawn arguments. Called again on a restart. */
  readonly state: (args: A) => S;
  readonly handle: NoInfer<Handlers<S, T, K>>;
  readonly onStart?: Hook<[state: S, ctx: ActorContext<Protocol<T, K>>], Next<S>>;
  readonly onStop?: Hook<[state: S, ctx: ActorContext<Protocol<T, K>>], void | Promise<void>>;
  readonly onTerminated?: Hook<
    [state: S, t: Terminated, ctx: ActorContext<Protocol<T, K>>],
    Next<S>
  >;
  /**
   * Mailbox defaults for every instance (spawn options may override them): `capacity`, an
   * integer in [1, 1e8] (default 10 000) or `Infinity` for an unbounded mailbox, and the
   * `overflow` policy. Unbounded never refuses a message, so a sender faster than the actor
   * grows it until the process runs out of memory (about 100 bytes per waiting message plus
   * its body): use it for finite bursts between actors you own, never for traffic from the
   * network.
   */
  readonly mailbox?: MailboxOptions;
  /**
   * Keep a snapshot after every handled message; a restart resumes from the last one
   * (through `restore`, or the snapshot itself as state) instead of fresh state. Return an
   * immutable copy: the runtime keeps what you return.
   */
  readonly snapshot?: (state: S) => unknown;
  readonly restore?: (snapshot: unknown, args: A) => S;
}

/** One message type as the runtime dispatches it. */
export interface MessageEntry {
  readonly kind: 'tell' | 'ask';
  readonly schema: Schema;
  /** For a plain schema, a check that lets a valid body be kept without zod's copy (plain-body.ts). */
  readonly plain: BodyCheck | null;
  readonly reply: Schema | null;
  readonly handler: (state: unknown, msg: unknown, ctx: never) => unknown;
}

export interface ActorDef<
  S = unknown,
  A = unknown,
  T extends TellMap = TellMap,
  K extends AskMap = AskMap,
> extends ActorSpec<S, A, T, K> {
  readonly tells: T;
  readonly asks: K;
  /** Dispatch table by message type; null prototype so `__proto__` is not a type. */
  readonly entries: Readonly<Record<string, MessageEntry | undefined>>;
  readonly __state?: S;
  readonly __args?: A;
  readonly __protocol?: Protocol<T, K>;
}

export type ProtocolOf<D> = D extends { readonly __protocol?: infer P }
  ? P extends Protocol
    ? P
    : never
  : never;

/** A message type name: not a subject token, but kept printable and unambiguous. */
const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;

/** The mailbox defaults, checked once here rather than at the first spawn. */
function checkMailbox(type: string, mb: MailboxOptions | undefined): void {
  if (mb === undefined) return;
  if (typeof mb !== 'object' || mb === null) {
    throw new InvalidArgument(`actor ${type}: mailbox must be an object`);
  }
  if (mb.capacity !== undefined && !isMailboxCapacity(mb.capacity)) {
    throw new InvalidArgument(
      `actor ${type}: mailbox capacity must be an integer in [1, 1e8] or Infinity (got ${String(mb.capacity)})`,
    );
  }
  const o = mb.overflow;
  if (o !== undefined && o !== 'fail' && o !== 'dropOldest' && o !== 'dropNewest') {
    throw new InvalidArgument(
      `actor ${type}: mailbox overflow must be fail, dropOldest or dropNewest (got ${String(o)})`,
    );
  }
}

function isSchema(s: unknown): s is Schema {
  return typeof s === 'object' && s !== null && typeof (s as Schema).safeParse === 'function';
}

/**
 * Declare an actor: its messages as zod schemas, its state, and one handler per message.
 * Checked here, once, so a definition that would misroute a message never runs.
 */
export function defineActor<S, A = void, T extends TellMap = Empty, K extends AskMap = Empty>(
  spec: ActorSpec<S, A, T, K>,
): ActorDef<S, A, T, K> {
  if (typeof spec !== 'object' || spec === null) {
    throw new InvalidArgument('defineActor needs a spec object');
  }
  assertToken('actor type', spec.type);
  if (typeof spec.state !== 'function') {
    throw new InvalidArgument(
      `actor ${spec.type}: state must be a function returning the initial state`,
    );
  }
  checkMailbox(spec.type, spec.mailbox);
  const tells = (spec.tells ?? {}) as T;
  const asks = (spec.asks ?? {}) as K;
  const handle = spec.handle as Record<string, unknown>;
  if (typeof handle !== 'object' || handle === null) {
    throw new InvalidArgument(`actor ${spec.type}: handle must map message types to handlers`);
  }
  const entries: Record<string, MessageEntry> = Object.create(null);
  const add = (name: string, kind: 'tell' | 'ask', schema: unknown, reply: unknown): void => {
    if (!TYPE_NAME.test(name)) {
      throw new InvalidArgument(
        `actor ${spec.type}: message type ${JSON.stringify(name)} is not a valid name`,
      );
    }
    if (entries[name]) {
      throw new InvalidArgument(
        `actor ${spec.type}: ${name} is declared both as a tell and an ask`,
      );
    }
    if (!isSchema(schema)) {
      throw new InvalidArgument(`actor ${spec.type}: ${name} needs a zod schema`);
    }
    if (kind === 'ask' && !isSchema(reply)) {
      throw new InvalidArgument(`actor ${spec.type}: ask ${name} needs a zod reply schema`);
    }
    const handler = handle[name];
    if (typeof handler !== 'function') {
      throw new InvalidArgument(`actor ${spec.type}: no handler for ${name}`);
    }
    entries[name] = {
      kind,
      schema,
      plain: plainCheck(schema),
      reply: kind === 'ask' ? (reply as Schema) : null,
      handler: handler as MessageEntry['handler'],
    };
  };
  for (const [name, schema] of Object.entries(tells)) add(name, 'tell', schema, null);
  for (const [name, a] of Object.entries(asks)) add(name, 'ask', a?.request, a?.reply);
  for (const name of Object.keys(handle)) {
    if (!entries[name]) {
      throw new InvalidArgument(`actor ${spec.type}: handler ${name} has no declared message`);
    }
  }
  return Object.freeze({ ...spec, tells, asks, entries });
}
