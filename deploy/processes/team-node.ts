// A worker node of a deployed team (compose, Kubernetes, systemd): every node hosts the team's
// member types, and the node started with TROUPE_TEAM_SUPERVISOR=1 also runs the supervisor,
// whose members start on whichever worker node takes them (`node: '*'`), wait for one when
// none is up, and move to another when theirs dies.
//   troupe up deploy/processes/team-node.ts --nats <urls> --system team --node worker-1
import { defineActor, defineSupervisor, defineTroupe } from 'troupe';
import { z } from 'zod';

export const Member = defineActor({
  type: 'team-member',
  state: (role: string) => ({ role, done: 0 }),
  tells: { work: z.object({ task: z.string().min(1).max(10_000) }) },
  asks: {
    status: {
      request: z.object({}),
      reply: z.object({ role: z.string(), done: z.number(), node: z.string() }),
    },
  },
  handle: {
    work: (s) => ({ ...s, done: s.done + 1 }),
    status: (s, _m, ctx) => ctx.reply({ role: s.role, done: s.done, node: ctx.node }),
  },
});

export const Team = defineSupervisor({
  type: 'team',
  strategy: 'one_for_one',
  intensity: 5,
  period: 60,
  children: [
    { id: 'coder', start: { def: Member, args: 'coder' }, node: '*' },
    { id: 'reviewer', start: { def: Member, args: 'reviewer' }, node: '*' },
  ],
});

export default defineTroupe({
  name: 'team',
  setup(system) {
    system.host(Member);
    if (process.env.TROUPE_TEAM_SUPERVISOR === '1') system.spawn(Team, { name: 'team' });
  },
});
