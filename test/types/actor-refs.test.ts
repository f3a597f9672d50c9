// Type-level tests: `tsc --noEmit` compiles this file, and every `@ts-expect-error` below fails
// the build if the line it marks ever compiles. The `it` blocks only run the expectTypeOf
// checks (no-ops at run time); the bodies with wrong tells are never called.
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type ActorContext,
  type ActorDef,
  type ActorRef,
  type ActorSystem,
  actorRef,
  defineActor,
  type Protocol,
  type ProtocolOf,
  type ShardRef,
  shardRef,
} from '../../index.ts';
import {
  Pinger,
  type PingerProtocol,
  Ponger,
  PongerMessages,
  type PongerProtocol,
} from '../support/ref-defs.ts';

describe('actorRef<P>() in a message schema', () => {
  it('parses to a ref typed by P, and asks for one as input', () => {
    const schema = actorRef<PingerProtocol>();
    expectTypeOf<z.output<typeof schema>>().toEqualTypeOf<ActorRef<PingerProtocol>>();
    expectTypeOf<z.input<typeof schema>>().toEqualTypeOf<ActorRef<PingerProtocol>>();
    type Ping = z.output<(typeof PongerMessages.tells)['ping']>;
    expectTypeOf<Ping['replyTo']>().toEqualTypeOf<ActorRef<PingerProtocol>>();
  });

  it('actorRef(def) names the protocol from a definition', () => {
    const schema = actorRef(Ponger);
    expectTypeOf<z.output<typeof schema>>().toEqualTypeOf<ActorRef<ProtocolOf<typeof Ponger>>>();
    const fromValue = actorRef(PongerMessages);
    expectTypeOf<z.output<typeof fromValue>>().toEqualTypeOf<ActorRef<typeof PongerMessages>>();
    // The interface and the definition's protocol are the same protocol, both ways.
    expectTypeOf<ActorRef<ProtocolOf<typeof Ponger>>>().toExtend<ActorRef<PongerProtocol>>();
    expectTypeOf<ActorRef<PongerProtocol>>().toExtend<ActorRef<ProtocolOf<typeof Ponger>>>();
  });

  it('without P the ref is untyped; shardRef<P>() types a shard ref', () => {
    expectTypeOf<z.output<ReturnType<typeof actorRef<Protocol>>>>().toEqualTypeOf<ActorRef>();
    const s = shardRef<PongerProtocol>();
    expectTypeOf<z.output<typeof s>>().toEqualTypeOf<ShardRef<PongerProtocol>>();
    // Building refs keeps its old signature.
    expectTypeOf(actorRef<PongerProtocol>('sys', 'a/b')).toEqualTypeOf<ActorRef<PongerProtocol>>();
  });

  it('a tell through a ref from a message is checked', () => {
    defineActor({
      type: 'checked',
      tells: { ping: z.object({ n: z.number(), replyTo: actorRef<PingerProtocol>() }) },
      state: () => null,
      handle: {
        ping(_s, m, ctx) {
          ctx.tell(m.replyTo, 'pong', { n: m.n });
          // @ts-expect-error the pinger has no message `pang`
          ctx.tell(m.replyTo, 'pang', { n: m.n });
          // @ts-expect-error pong carries an integer, not a string
          ctx.tell(m.replyTo, 'pong', { n: 'one' });
          // @ts-expect-error run is an ask, not a tell
          ctx.tell(m.replyTo, 'run', { to: m.replyTo, rounds: 1 });
        },
      },
    });
  });

  it('the sender must put a ref of the right protocol in the message', () => {
    const send = (sys: ActorSystem, ponger: ActorRef<PongerProtocol>) => {
      const pinger = sys.spawn(Pinger);
      sys.tell(ponger, 'ping', { n: 1, replyTo: pinger });
      // @ts-expect-error a ponger is no pinger: it cannot take a pong
      sys.tell(ponger, 'ping', { n: 1, replyTo: ponger });
      const untyped: ActorRef = actorRef('sys', 'x');
      // @ts-expect-error an untyped ref does not pass for a typed one
      sys.tell(ponger, 'ping', { n: 1, replyTo: untyped });
    };
    expectTypeOf(send).toBeFunction();
  });
});

describe('ctx.self and ctx.sender', () => {
  it('ctx.self is a ref to the actor’s own protocol, in handlers and hooks', () => {
    const Self = defineActor({
      type: 'self',
      tells: { tick: z.object({ n: z.number() }) },
      asks: { get: { request: z.object({}), reply: z.number() } },
      state: () => 0,
      onStart(_s, ctx) {
        ctx.tell(ctx.self, 'tick', { n: 0 });
        // @ts-expect-error tick carries a number
        ctx.tell(ctx.self, 'tick', { n: '0' });
      },
      handle: {
        tick(s, m, ctx) {
          expectTypeOf(ctx.self).toEqualTypeOf<ActorRef<ProtocolOf<typeof Self>>>();
          // @ts-expect-error no message `tock`
          ctx.tell(ctx.self, 'tock', {});
          return s + m.n;
        },
        get(s, _m, ctx) {
          expectTypeOf(ctx.self).toEqualTypeOf<ActorRef<ProtocolOf<typeof Self>>>();
          ctx.reply(s);
        },
      },
    });
  });

  it('ctx.sender stays untyped: any actor may send, so its protocol is not known', () => {
    expectTypeOf<ActorContext['sender']>().toEqualTypeOf<ActorRef | null>();
    expectTypeOf<ActorContext<PongerProtocol>['self']>().toEqualTypeOf<ActorRef<PongerProtocol>>();
  });
});

describe('definitions still widen', () => {
  it('a definition converts to the catch-all ActorDef, as before', () => {
    const wide = Ponger as ActorDef;
    expectTypeOf(wide).toEqualTypeOf<ActorDef>();
  });
});

// Parent and child that name each other: the child's args carry the parent's ref, the parent's
// state the child's. Naming the protocol through `ProtocolOf<typeof Parent>` here is circular
// (the definition's type depends on the child, whose args depend on it); naming it from the
// messages alone is not.
const ParentMessages = {
  tells: { ready: z.object({ child: actorRef<ChildProtocol>() }) },
  asks: {},
};
interface ParentProtocol {
  readonly tells: typeof ParentMessages.tells;
  readonly asks: typeof ParentMessages.asks;
}
interface ChildProtocol {
  readonly tells: { readonly hello: z.ZodObject<{ n: z.ZodNumber }> };
  readonly asks: Record<never, never>;
}

const Parent = defineActor({
  type: 'parent',
  ...ParentMessages,
  state: () => ({ child: null as ActorRef<ChildProtocol> | null }),
  onStart(s, ctx) {
    return { ...s, child: ctx.spawn(Child, { args: { parent: ctx.self } }) };
  },
  handle: {
    ready(s, m, ctx) {
      ctx.tell(m.child, 'hello', { n: 1 });
      // @ts-expect-error hello carries a number
      ctx.tell(m.child, 'hello', { n: 'x' });
      return s;
    },
  },
});

const Child = defineActor({
  type: 'child',
  tells: { hello: z.object({ n: z.number() }) },
  state: (a: { parent: ActorRef<ParentProtocol> }) => a,
  onStart(s, ctx) {
    ctx.tell(s.parent, 'ready', { child: ctx.self });
    // @ts-expect-error the parent has no message `hello`
    ctx.tell(s.parent, 'hello', { n: 1 });
  },
  handle: { hello() {} },
});

describe('parent and child protocols that name each other', () => {
  it('compile, with refs both ways typed', () => {
    expectTypeOf<ActorRef<ProtocolOf<typeof Parent>>>().toExtend<ActorRef<ParentProtocol>>();
    expectTypeOf<ActorRef<ProtocolOf<typeof Child>>>().toExtend<ActorRef<ChildProtocol>>();
  });
});
