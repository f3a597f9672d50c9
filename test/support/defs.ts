import { z } from 'zod';
import { type ActorRef, defineActor } from '../../index.ts';

/** Actors shared by integration tests and the processes they spawn. */
export const Recorder = defineActor({
  type: 'recorder',
  state: () => ({ seen: [] as { seq: number; from: string | null; trace: string | null }[] }),
  tells: { note: z.object({ seq: z.number().int() }), big: z.object({ data: z.string() }) },
  asks: {
    seen: {
      request: z.object({}),
      reply: z.array(
        z.object({ seq: z.number(), from: z.string().nullable(), trace: z.string().nullable() }),
      ),
    },
    echo: {
      request: z.object({ text: z.string() }),
      reply: z.object({ text: z.string(), by: z.string() }),
    },
  },
  handle: {
    note(s, m, ctx) {
      s.seen.push({ seq: m.seq, from: ctx.sender?.path ?? null, trace: ctx.traceparent });
    },
    big() {},
    seen: (s, _m, ctx) => ctx.reply(s.seen),
    echo: (_s, m, ctx) => ctx.reply({ text: m.text, by: `${ctx.node}/${ctx.self.path}` }),
  },
});

export const Hop = defineActor({
  type: 'hop',
  state: (next: string | null) => ({ next }),
  asks: {
    go: {
      request: z.object({ sleepMs: z.number() }),
      reply: z.object({ deadlines: z.array(z.number()), traces: z.array(z.string().nullable()) }),
    },
  },
  handle: {
    async go(s, m, ctx) {
      if (s.next === null) {
        await new Promise((r) => setTimeout(r, m.sleepMs));
        ctx.reply({ deadlines: [ctx.deadline], traces: [ctx.traceparent] });
        return;
      }
      const next: ActorRef<NonNullable<(typeof Hop)['__protocol']>> = {
        system: ctx.system,
        path: s.next,
      };
      const r = await ctx.ask(next, 'go', m, { timeout: 60_000 });
      ctx.reply({
        deadlines: [ctx.deadline, ...r.deadlines],
        traces: [ctx.traceparent, ...r.traces],
      });
    },
  },
});

/** A sharded type whose `hit` answers where the instance runs: its node, or its path. */
export function shardMember(type: string, where: 'node' | 'path') {
  return defineActor({
    type,
    state: () => null,
    asks: { hit: { request: z.object({}), reply: z.string() } },
    handle: {
      hit: (_s, _m, ctx) => ctx.reply(where === 'node' ? ctx.node : ctx.self.path),
    },
  });
}

/** Instances on several nodes (processes): a hit says which node answered. */
export const Worker = shardMember('worker', 'node');

/** A worker a supervisor runs on another node (see remote-host.ts). */
export const RemoteWorker = defineActor({
  type: 'remote-worker',
  state: () => ({ n: 0 }),
  tells: { inc: z.object({}), crash: z.object({}) },
  asks: {
    n: { request: z.object({}), reply: z.number() },
    where: { request: z.object({}), reply: z.string() },
  },
  handle: {
    inc: (s) => ({ n: s.n + 1 }),
    crash() {
      throw new Error('remote boom');
    },
    n: (s, _m, ctx) => ctx.reply(s.n),
    where: (_s, _m, ctx) => ctx.reply(ctx.node),
  },
});
