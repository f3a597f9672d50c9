import { z } from 'zod';
import { InputRequired, InteropMeta, reportProgress } from '../../actors/interop/index.ts';
import { defineActor, type ReplyHandle, Stopped } from '../../runtime/index.ts';

/**
 * A plain actor standing in for an agent: an ask `run({ input }) → output` (what the agents
 * branch's `defineAgent` exposes), a second ask, and the interop hooks (progress, cancel).
 * Inputs script its behaviour: `deploy` asks for approval (InputRequired), `approve` completes
 * it, `fail` fails, `slow` waits until canceled, `gate` reports progress and waits for a
 * `release` ask, anything else is echoed with progress.
 */
export const StandIn = defineActor({
  type: 'stand-in',
  state: () => ({
    waiting: new Map<string, ReplyHandle<string>>(),
    canceled: [] as string[],
    gated: [] as ReplyHandle<string>[],
  }),
  tells: { cancel: z.object({ runId: z.string() }) },
  asks: {
    run: {
      request: z
        .object({ input: z.string().min(1), interop: InteropMeta.optional() })
        .describe('Echo the input, or play one of the scripted cases'),
      reply: z.string(),
    },
    add: {
      request: z.object({ a: z.number(), b: z.number() }).describe('Add two numbers'),
      reply: z.object({ sum: z.number() }),
    },
    canceled: { request: z.object({}), reply: z.array(z.string()) },
    release: { request: z.object({}), reply: z.number() },
  },
  handle: {
    run: (s, m, ctx) => {
      const r = ctx.deferReply();
      switch (m.input) {
        case 'deploy':
          r.fail(new InputRequired('approve the deploy to production?', { env: 'prod' }));
          return;
        case 'approve':
          r.reply('deployed');
          return;
        case 'fail':
          r.fail(new Error('the tool broke'));
          return;
        case 'gate':
          // Reports progress, then waits for `release`: a test can answer the progress first.
          reportProgress(ctx, m.interop, { message: 'at the gate', progress: 1, total: 2 });
          s.gated.push(r);
          return;
        case 'slow':
          reportProgress(ctx, m.interop, { message: 'started slow work', progress: 1, total: 10 });
          if (m.interop) s.waiting.set(m.interop.runId, r);
          return;
        default:
          reportProgress(ctx, m.interop, { message: 'halfway', progress: 1, total: 2 });
          r.reply(`echo: ${m.input}`);
      }
    },
    add: (_s, m, ctx) => ctx.reply({ sum: m.a + m.b }),
    canceled: (s, _m, ctx) => ctx.reply([...s.canceled]),
    release: (s, _m, ctx) => {
      const n = s.gated.length;
      for (const r of s.gated.splice(0)) r.reply('released');
      ctx.reply(n);
    },
    cancel: (s, m) => {
      s.canceled.push(m.runId);
      s.waiting.get(m.runId)?.fail(new Stopped(m.runId, 'canceled'));
      s.waiting.delete(m.runId);
    },
  },
});
