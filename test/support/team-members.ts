import { z } from 'zod';
import { BidAsk, RunAsk } from '../../actors/patterns/index.ts';
import { defineActor } from '../../index.ts';

/**
 * Plain actors that keep the member contract (`run({ input })` → output), for the pattern tests
 * and the processes they spawn. Real actors: they run in the kernel, crash, restart, time out.
 */

/** Every member call in this process, in order: who started, who finished. */
export const workLog: { member: string; event: 'start' | 'end'; input: unknown; at: number }[] = [];
/** Called on every work log entry (a host process prints them for its parent). */
export const workHooks: ((e: (typeof workLog)[number]) => void)[] = [];

function log(e: (typeof workLog)[number]): void {
  workLog.push(e);
  for (const h of workHooks) h(e);
}

/** Failures still to come, by member tag (kept outside the actor: a restart resets its state). */
export const failuresLeft = new Map<string, number>();

const Args = z.object({
  tag: z.string(),
  delayMs: z.number().optional(),
  /** Also answer `bid` with this price. */
  price: z.number().optional(),
});
type Args = z.infer<typeof Args>;

async function work(a: Args, input: unknown): Promise<string> {
  log({ member: a.tag, event: 'start', input, at: Date.now() });
  if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
  const left = failuresLeft.get(a.tag) ?? 0;
  if (left > 0) {
    failuresLeft.set(a.tag, left - 1);
    throw new Error(`${a.tag} crashed (${left - 1} failures left)`);
  }
  log({ member: a.tag, event: 'end', input, at: Date.now() });
  return `${typeof input === 'string' ? input : JSON.stringify(input)}>${a.tag}`;
}

/** Appends `>tag` to its input (JSON of it, when not a string); may be slow or fail. */
export const Append = defineActor({
  type: 'append',
  state: (a: Args) => Args.parse(a),
  asks: { run: RunAsk },
  handle: {
    async run(s, m, ctx) {
      ctx.reply(await work(s, m.input));
    },
  },
});

/** Like Append, and bids its price when asked. */
export const Bidder = defineActor({
  type: 'bidder',
  state: (a: Args) => Args.parse(a),
  asks: { run: RunAsk, bid: BidAsk },
  handle: {
    async run(s, m, ctx) {
      ctx.reply(await work(s, m.input));
    },
    bid(s, _m, ctx) {
      ctx.reply({ price: s.price ?? null });
    },
  },
});

/** Crashes when asked to run: a winner that dies mid-task. */
export const Dies = defineActor({
  type: 'dies',
  state: (a: Args) => Args.parse(a),
  asks: { run: RunAsk, bid: BidAsk },
  handle: {
    run(s, m) {
      log({ member: s.tag, event: 'start', input: m.input, at: Date.now() });
      throw new Error(`${s.tag} died mid-task`);
    },
    bid(s, _m, ctx) {
      ctx.reply({ price: s.price ?? 0 });
    },
  },
});

/** A planner answering a fixed plan (given as its args). */
export const FixedPlanner = defineActor({
  type: 'fixed-planner',
  state: (plan: unknown) => ({ plan }),
  asks: { run: RunAsk },
  handle: {
    run(s, m, ctx) {
      log({ member: 'planner', event: 'start', input: m.input, at: Date.now() });
      ctx.reply(s.plan);
    },
  },
});

/** A critic approving from round `approveAt` on; a slow one with delayMs. */
export const Critic = defineActor({
  type: 'critic',
  state: (a: { approveAt: number; delayMs?: number }) => a,
  asks: { run: RunAsk },
  handle: {
    async run(s, m, ctx) {
      const r = z.object({ round: z.number() }).parse(m.input);
      log({ member: 'critic', event: 'start', input: m.input, at: Date.now() });
      if (s.delayMs) await new Promise((res) => setTimeout(res, s.delayMs));
      const approved = r.round >= s.approveAt;
      ctx.reply({ approved, feedback: approved ? 'ok' : `revise (round ${r.round})` });
    },
  },
});

/** Triage by keyword: the first route whose name appears in the input. */
export const KeywordTriage = defineActor({
  type: 'keyword-triage',
  state: (routes: string[]) => ({ routes }),
  asks: { run: RunAsk },
  handle: {
    run(s, m, ctx) {
      const text = String(m.input);
      log({ member: 'triage', event: 'start', input: m.input, at: Date.now() });
      ctx.reply(s.routes.find((r) => text.includes(r)) ?? 'unknown');
    },
  },
});
