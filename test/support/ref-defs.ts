// Ping-pong where the answer path travels in the message: `replyTo: actorRef<PingerProtocol>()`.
// The two protocols name each other, so each is declared as messages plus an interface (an
// interface is resolved lazily, which breaks the cycle), then spread into its definition.
import { z } from 'zod';
import { actorRef, defineActor, type ReplyHandle } from '../../index.ts';

export const PongerMessages = {
  tells: { ping: z.object({ n: z.number().int(), replyTo: actorRef<PingerProtocol>() }) },
  asks: {
    /** Hands back the ref it was given: a ref in a reply schema, validated like any reply. */
    echo: {
      request: z.object({ ref: actorRef<PingerProtocol>() }),
      reply: actorRef<PingerProtocol>(),
    },
  },
};
export interface PongerProtocol {
  readonly tells: typeof PongerMessages.tells;
  readonly asks: typeof PongerMessages.asks;
}

export const PingerMessages = {
  tells: { pong: z.object({ n: z.number().int() }) },
  asks: {
    /** Ping `to` `rounds` times; answers with the pongs in arrival order once all are back. */
    run: {
      request: z.object({ to: actorRef<PongerProtocol>(), rounds: z.number().int().positive() }),
      reply: z.array(z.number().int()),
    },
  },
};
export interface PingerProtocol {
  readonly tells: typeof PingerMessages.tells;
  readonly asks: typeof PingerMessages.asks;
}

export const Ponger = defineActor({
  type: 'ponger',
  ...PongerMessages,
  state: () => ({ served: 0 }),
  handle: {
    ping(s, m, ctx) {
      ctx.tell(m.replyTo, 'pong', { n: m.n });
      return { served: s.served + 1 };
    },
    echo(_s, m, ctx) {
      ctx.reply(m.ref);
    },
  },
});

interface PingerState {
  readonly want: number;
  readonly got: readonly number[];
  readonly waiting: ReplyHandle<number[]> | null;
}

export const Pinger = defineActor({
  type: 'pinger',
  ...PingerMessages,
  state: (): PingerState => ({ want: 0, got: [], waiting: null }),
  handle: {
    run(_s, m, ctx) {
      for (let n = 0; n < m.rounds; n++) ctx.tell(m.to, 'ping', { n, replyTo: ctx.self });
      return { want: m.rounds, got: [], waiting: ctx.deferReply() };
    },
    pong(s, m) {
      const got = [...s.got, m.n];
      if (got.length < s.want) return { ...s, got };
      s.waiting?.reply(got);
      return { want: 0, got, waiting: null };
    },
  },
});
