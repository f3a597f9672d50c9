import { z } from 'zod';
import {
  type ActorRef,
  actorRef as buildActorRef,
  shardRef as buildShardRef,
  isToken,
  type ShardRef,
} from './address.ts';
import { InvalidArgument } from './errors.ts';
import type { Protocol } from './protocol.ts';

/**
 * `P` itself when it is a protocol. The schemas take `P` unconstrained and narrow it here,
 * lazily: a constraint would make TypeScript resolve `P` at once, and two protocols whose
 * messages carry refs to each other (declared as interfaces) would then be circular.
 */
export type AsProtocol<P> = P extends Protocol ? P : never;

/**
 * A zod schema for a ref inside a message. Input and output are both the typed ref, so the
 * sender must put a ref of the right protocol in the message and the handler gets one back:
 * a tell through it is checked like a tell through any typed ref.
 */
export type ActorRefSchema<P = Protocol> = z.ZodType<
  ActorRef<AsProtocol<P>>,
  ActorRef<AsProtocol<P>>
>;
export type ShardRefSchema<P = Protocol> = z.ZodType<
  ShardRef<AsProtocol<P>>,
  ShardRef<AsProtocol<P>>
>;

/** What names a protocol at the value level: a definition, or `{ tells, asks }` itself. */
export type ProtocolSource = { readonly __protocol?: Protocol } | Protocol;

/** The protocol a definition or protocol value stands for. */
export type ProtocolFrom<D> = '__protocol' extends keyof D
  ? NonNullable<D[keyof D & '__protocol']> extends infer P extends Protocol
    ? P
    : Protocol
  : D extends Protocol
    ? D
    : Protocol;

// The kernel's own rules (address.ts): the same token, the same `/`-separated path. A ref
// arrives from MessagePack over NATS, so nothing about it is trusted before this.
const token = z
  .string()
  .refine(isToken, { message: 'must be 1-128 characters of A-Z a-z 0-9 _ -' });
const path = z.string().refine((p) => p.length > 0 && p.split('/').every(isToken), {
  message: 'must be `/`-separated segments of 1-128 characters of A-Z a-z 0-9 _ -',
});

// Strict: a ref is exactly its address; anything else in it was not put there by troupe.
const actorRefShape = z.object({ system: token, path }).strict();
const shardRefShape = z.object({ system: token, shard: token }).strict();

function checkSource(of: unknown, what: string): void {
  if (of === undefined) return;
  if (typeof of !== 'object' || of === null) {
    throw new InvalidArgument(
      `${what}(of) takes an actor definition or a protocol ({ tells, asks }), got ${typeof of}`,
    );
  }
  const o = of as { tells?: unknown; asks?: unknown };
  if (typeof o.tells !== 'object' || typeof o.asks !== 'object') {
    throw new InvalidArgument(
      `${what}(of) takes an actor definition or a protocol ({ tells, asks }): no tells/asks`,
    );
  }
}

/**
 * The zod schema of an actor ref, typed by protocol `P` (a phantom: nothing about it is
 * checked at run time, because a ref's protocol never travels; the receiving actor validates
 * what is sent to it). `of` only names `P` from a value.
 */
export function actorRefSchema<P = Protocol>(): ActorRefSchema<P>;
export function actorRefSchema<D extends ProtocolSource>(of: D): ActorRefSchema<ProtocolFrom<D>>;
export function actorRefSchema(of?: unknown): ActorRefSchema {
  checkSource(of, 'actorRef');
  return actorRefShape;
}

/** The zod schema of a shard ref (any instance of a sharded type), typed by protocol `P`. */
export function shardRefSchema<P = Protocol>(): ShardRefSchema<P>;
export function shardRefSchema<D extends ProtocolSource>(of: D): ShardRefSchema<ProtocolFrom<D>>;
export function shardRefSchema(of?: unknown): ShardRefSchema {
  checkSource(of, 'shardRef');
  return shardRefShape;
}

/**
 * `actorRef(system, path)` builds a ref; `actorRef<P>()` (or `actorRef(def)`) is the zod
 * schema for one inside a message: `z.object({ replyTo: actorRef<PingerProtocol>() })`.
 * One name for both, because a ref in a message is written where a ref is meant.
 */
export function actorRef<P extends Protocol = Protocol>(system: string, path: string): ActorRef<P>;
export function actorRef<P = Protocol>(): ActorRefSchema<P>;
export function actorRef<D extends ProtocolSource>(of: D): ActorRefSchema<ProtocolFrom<D>>;
export function actorRef(a?: unknown, b?: unknown): ActorRef | ActorRefSchema {
  if (typeof a === 'string' || b !== undefined) return buildActorRef(a as string, b as string);
  return a === undefined ? actorRefSchema() : actorRefSchema(a as ProtocolSource);
}

/** `shardRef(system, type)` builds a shard ref; `shardRef<P>()` is the schema for one in a message. */
export function shardRef<P extends Protocol = Protocol>(system: string, type: string): ShardRef<P>;
export function shardRef<P = Protocol>(): ShardRefSchema<P>;
export function shardRef<D extends ProtocolSource>(of: D): ShardRefSchema<ProtocolFrom<D>>;
export function shardRef(a?: unknown, b?: unknown): ShardRef | ShardRefSchema {
  if (typeof a === 'string' || b !== undefined) return buildShardRef(a as string, b as string);
  return a === undefined ? shardRefSchema() : shardRefSchema(a as ProtocolSource);
}
