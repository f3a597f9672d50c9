import { z } from 'zod';
import { defineActor } from '../runtime/index.ts';

/** The agent bench/process.ts restarts: it answers with its process id. */
export const PidAgent = defineActor({
  type: 'pid-agent',
  asks: { pid: { request: z.object({}), reply: z.number() } },
  state: () => null,
  handle: {
    pid: (_s, _m, ctx) => {
      ctx.reply(process.pid);
    },
  },
});
