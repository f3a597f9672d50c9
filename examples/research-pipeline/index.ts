// The research pipeline (hierarchical): a query planner, three searchers in parallel (a fan-out
// team), a fact checker, then a synthesizer and a critic looping until the critic approves.
// Teams inside a team: the pipeline's steps are themselves teams. The run ends with the
// ledger's proof of the critic's final verdict.
//   offline (scripted model):  troupe up examples/research-pipeline --once
import { defineAgent, fanOut, loop, pipeline, Verdict } from 'troupe';
import { z } from 'zod';
import { defineTeamTroupe, modelFor } from '../shared/team-run.ts';

const QUESTION = 'Do actor runtimes reduce failure blast radius in multi-agent systems?';

const searcher = (id: string, finding: string) =>
  defineAgent({
    type: `searcher-${id}`,
    model: modelFor(`searcher-${id}`, [finding]),
    instructions: `Search ${id} for the queries and answer the findings with their sources.`,
    output: z.string(),
  });

export default defineTeamTroupe({
  name: 'research',
  ledger: 'research-pipeline',
  team: 'research',
  build() {
    const planner = defineAgent({
      type: 'query-planner',
      model: modelFor('query-planner', [
        JSON.stringify({
          queries: ['erlang supervision trees fault isolation', 'multi-agent LLM failure cascades'],
        }),
      ]),
      instructions: 'Turn the question into search queries.',
      output: z.object({ queries: z.array(z.string()).min(1) }),
    });
    const search = fanOut({
      type: 'search-team',
      to: [
        {
          def: searcher(
            'papers',
            'Armstrong 2003: supervision confines a crash to its subtree [thesis, ch. 4]',
          ),
          name: 'papers',
        },
        {
          def: searcher(
            'web',
            'Engineering blogs: restarts with backoff stop retry storms [2 posts]',
          ),
          name: 'web',
        },
        {
          def: searcher(
            'code',
            'Issue trackers: agent loops without isolation fail as a whole [5 issues]',
          ),
          name: 'code',
        },
      ],
      gather: { quorum: 2 },
    });
    const checker = defineAgent({
      type: 'fact-checker',
      model: modelFor('fact-checker', [
        JSON.stringify({
          verified: ['supervision confines crashes', 'backoff stops retry storms'],
          dropped: [],
        }),
      ]),
      instructions: 'Check each finding against its source; keep what holds.',
      output: z.object({ verified: z.array(z.string()), dropped: z.array(z.string()) }),
    });
    const synthesizer = defineAgent({
      type: 'synthesizer',
      model: modelFor('synthesizer', [
        'Yes, broadly.',
        'Yes: supervision confines a crash to its subtree, and restarts with backoff keep one failing agent from taking the team down (3 sources).',
      ]),
      instructions: 'Write the answer from the verified findings; cite them.',
      output: z.string(),
    });
    const critic = defineAgent({
      type: 'critic',
      model: modelFor('critic', [
        JSON.stringify({ approved: false, feedback: 'say why, and cite' }),
        JSON.stringify({ approved: true, feedback: 'sourced and specific' }),
      ]),
      instructions: 'Approve only a specific, sourced answer. Answer {"approved", "feedback"}.',
      output: Verdict,
    });
    return pipeline(
      [
        { def: planner, name: 'planner' },
        { def: search, name: 'search' },
        { def: checker, name: 'fact-checker' },
        {
          def: loop({
            type: 'write-review',
            worker: { def: synthesizer, name: 'synthesizer' },
            critic: { def: critic, name: 'critic' },
            maxRounds: 3,
          }),
          name: 'write',
        },
      ],
      { type: 'research-pipeline', step: { retry: { attempts: 2 } } },
    );
  },
  async job(ask) {
    console.log(`research: ${QUESTION}`);
    const answer = await ask(QUESTION, 600_000);
    console.log(`answer: ${String(answer)}`);
  },
  proves: {
    what: "the critic's verdict",
    match: (e) => e.kind === 'team.review' && e.data.approved === true,
  },
});
