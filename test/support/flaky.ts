import { z } from 'zod';
import { defineActor } from '../../runtime/index.ts';

/** Crashes on `boom` with the reason it is given; answers `ping`; sleeps on `sleep`. */
export const Flaky = defineActor({
  type: 'flaky',
  state: () => null,
  tells: { boom: z.object({ reason: z.string() }) },
  asks: {
    ping: { request: z.object({}), reply: z.string() },
    sleep: { request: z.object({ ms: z.number() }), reply: z.string() },
  },
  handle: {
    boom(_s, m) {
      throw new Error(m.reason);
    },
    ping: (_s, _m, ctx) => ctx.reply('pong'),
    async sleep(_s, m, ctx) {
      await new Promise((r) => setTimeout(r, m.ms));
      ctx.reply('slept');
    },
  },
});
export type FlakyP = NonNullable<(typeof Flaky)['__protocol']>;
