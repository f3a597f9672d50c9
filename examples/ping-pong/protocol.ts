import { defineActor } from 'troupe';
import { z } from 'zod';

export const Pong = defineActor({
  type: 'pong',
  state: () => ({ served: 0 }),
  asks: {
    ping: {
      request: z.object({ n: z.number().int() }),
      reply: z.object({ n: z.number(), by: z.string() }),
    },
  },
  handle: {
    ping(s, m, ctx) {
      ctx.reply({ n: m.n, by: ctx.node });
      return { served: s.served + 1 };
    },
  },
});

export type PongProtocol = NonNullable<(typeof Pong)['__protocol']>;
