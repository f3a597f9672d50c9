// An agent team under a supervisor: a planner, a coder that sometimes returns garbage, and a
// reviewer. The coder reports bad model output with ctx.fail(reason): it counts toward the
// supervisor's restart intensity like a crash, and the supervisor restarts it with backoff.
//   embedded tour:  troupe up examples/team/team.ts --once
//   served:         troupe up examples/team/team.ts --nats nats://127.0.0.1:4222
//                   troupe tree --nats nats://127.0.0.1:4222 --system team

import { defineActor, defineSupervisor, defineTroupe, renderTree } from 'troupe';
import { z } from 'zod';

const Planner = defineActor({
  type: 'planner',
  state: () => ({ plans: 0 }),
  asks: { plan: { request: z.object({ goal: z.string() }), reply: z.array(z.string()) } },
  handle: {
    plan(s, m, ctx) {
      ctx.audit('decision', { goal: m.goal });
      ctx.reply([`write ${m.goal}`, `review ${m.goal}`]);
      return { plans: s.plans + 1 };
    },
  },
});

const Coder = defineActor({
  type: 'coder',
  state: () => ({ attempts: 0 }),
  asks: { code: { request: z.object({ task: z.string() }), reply: z.string() } },
  handle: {
    code(s, m, ctx) {
      s.attempts++;
      // Stand-in for a model call whose output fails validation now and then.
      if (m.task.includes('flaky')) ctx.fail(`invalid model output for "${m.task}"`);
      ctx.reply(`// code for ${m.task}`);
    },
  },
});

const Reviewer = defineActor({
  type: 'reviewer',
  state: () => null,
  asks: { review: { request: z.object({ code: z.string() }), reply: z.boolean() } },
  handle: { review: (_s, m, ctx) => ctx.reply(m.code.startsWith('//')) },
});

export const Team = defineSupervisor({
  type: 'team',
  strategy: 'one_for_one',
  intensity: 5,
  period: 10,
  backoff: { initialMs: 50, maxMs: 2000 },
  children: [
    { id: 'planner', start: { def: Planner } },
    { id: 'coder', start: { def: Coder }, maxHandlerMs: 30_000 },
    { id: 'reviewer', start: { def: Reviewer } },
  ],
});

type P<D> = NonNullable<D extends { __protocol?: infer X } ? X : never>;

export default defineTroupe({
  name: 'team',
  setup(system) {
    system.spawn(Team, { name: 'team' });
  },
  async run(system) {
    const planner = system.lookup<P<typeof Planner>>('team/planner')!;
    const coder = system.lookup<P<typeof Coder>>('team/coder')!;
    const reviewer = system.lookup<P<typeof Reviewer>>('team/reviewer')!;
    const steps = await system.ask(planner, 'plan', { goal: 'parser' }, { timeout: 1000 });
    console.log('plan:', steps.join(' → '));
    const code = await system.ask(coder, 'code', { task: 'parser' }, { timeout: 1000 });
    console.log(
      'review passed:',
      await system.ask(reviewer, 'review', { code }, { timeout: 1000 }),
    );
    const bad = await system
      .ask(coder, 'code', { task: 'flaky parser' }, { timeout: 1000 })
      .catch((e: Error) => e);
    console.log('flaky attempt:', (bad as Error).message);
    await new Promise((r) => setTimeout(r, 200)); // the restart waits out its backoff
    console.log(renderTree(system.treeRows()));
  },
});
