// The customer service hub (sequential + supervisor): a triage agent routes each ticket to one
// of four specialists; a quality sampler scores the answer; a ticket the sampler flags goes to
// a human, with a context summary, through an approval gate (the human takes it over).
//   offline (scripted model):  troupe up examples/customer-service --once
import {
  type ActorRef,
  type ApprovalGateDef,
  defineActor,
  defineAgent,
  pipeline,
  RunAsk,
  router,
  type ScriptStep,
} from 'troupe';
import { z } from 'zod';
import { defineTeamTroupe, modelFor } from '../shared/team-run.ts';

const TICKETS = [
  'I was charged twice for my March invoice',
  'The app crashes when I upload a photo, and I lost a week of data',
  'Where is my parcel? Tracking has not moved in 5 days',
];

const Review = z.object({
  answer: z.string(),
  score: z.number().min(0).max(1),
  escalate: z.boolean(),
  summary: z.string(),
});

const lastText = (req: Parameters<Extract<ScriptStep, (...a: never[]) => unknown>>[0]): string =>
  String(req.messages.at(-1)?.content ?? '');

/** A ticket the sampler flags waits for a human to take it over; the others pass through. */
function escalation(gate: ActorRef<NonNullable<ApprovalGateDef['__protocol']>>) {
  return defineActor({
    type: 'escalation',
    state: () => null,
    asks: { run: RunAsk },
    handle: {
      async run(_s, m, ctx) {
        const r = Review.parse(m.input);
        if (!r.escalate) {
          ctx.reply({ answer: r.answer, handledBy: 'agent', score: r.score });
          return;
        }
        ctx.audit('team.escalate', { score: r.score });
        const d = await ctx.ask(
          gate,
          'request',
          { action: 'human takeover', summary: r.summary, approvers: ['support-lead'] },
          { timeout: 3_600_000 },
        );
        ctx.reply({
          answer: r.answer,
          handledBy:
            d.status === 'approved'
              ? `human (${d.votes.map((v) => v.by).join(', ')})`
              : 'agent (takeover declined)',
          score: r.score,
        });
      },
    },
  });
}

export default defineTeamTroupe({
  name: 'support',
  ledger: 'customer-service',
  team: 'support',
  human: 'support-lead',
  build(_system, run) {
    const triage = defineAgent({
      type: 'triage',
      model: modelFor('triage', [
        (req) => {
          const t = lastText(req);
          return JSON.stringify(
            /charged|invoice/.test(t)
              ? 'billing'
              : /crash|error/.test(t)
                ? 'technical'
                : /parcel|tracking/.test(t)
                  ? 'shipping'
                  : 'account',
          );
        },
      ]),
      instructions:
        'Route the ticket: billing, technical, account or shipping. Answer the route name as a JSON string.',
      output: z.enum(['billing', 'technical', 'account', 'shipping']),
    });
    const specialist = (area: string, answer: string) =>
      ({
        def: defineAgent({
          type: area,
          model: modelFor(area, [answer]),
          instructions: `You are the ${area} specialist. Answer the customer.`,
          output: z.string(),
        }),
        name: area,
      }) as const;
    const sampler = defineAgent({
      type: 'quality-sampler',
      model: modelFor('quality-sampler', [
        (req) => {
          const t = lastText(req);
          const risky = t.includes('restore');
          return JSON.stringify({
            answer: t,
            score: risky ? 0.4 : 0.9,
            escalate: risky,
            summary: risky
              ? 'Data loss after a crash on photo upload; customer lost a week of data; restore needs a human.'
              : 'Resolved by the agent.',
          });
        },
      ]),
      instructions:
        'Score the answer 0..1; escalate to a human when it is below 0.6 or the customer lost data. Summarize the case for a human.',
      output: Review,
    });
    const desk = router({
      type: 'triage-desk',
      triage: { def: triage, name: 'triage' },
      routes: {
        billing: specialist(
          'billing',
          'Refunded the duplicate charge of 49 EUR; it shows in 3-5 days.',
        ),
        technical: specialist(
          'technical',
          'Fixed in 3.2.1; we will try to restore your data from backups.',
        ),
        account: specialist('account', 'Your account settings are updated.'),
        shipping: specialist('shipping', 'The carrier lost the scan; a replacement ships today.'),
      },
    });
    return pipeline(
      [
        { def: desk, name: 'desk' },
        { def: sampler, name: 'quality-sampler' },
        { def: escalation(run.gate), name: 'escalation' },
      ],
      { type: 'customer-service' },
    );
  },
  async job(ask) {
    for (const t of TICKETS) {
      console.log(`ticket: ${t}`);
      const r = await ask(t, 3_600_000);
      console.log(`reply: ${JSON.stringify(r)}`);
    }
  },
  proves: { what: 'the human takeover', match: (e) => e.kind === 'approval.decided' },
});
