// The software team (supervisor pattern): a tech lead plans; an architect designs; a coder and
// a reviewer loop until the reviewer approves; a tester tests; a deployer deploys, and its
// deploy tool waits for a human's approval. Every decision lands in the run's ledger, which
// ends the run with its proof.
//   offline (scripted model):  troupe up examples/software-team --once
//   a real model:              TROUPE_MODEL_URL=http://127.0.0.1:11434/v1 TROUPE_MODEL=llama3.2 troupe up examples/software-team --once
import { defineAgent, loop, Plan, supervisorTeam, tool, Verdict, withApproval } from 'troupe';
import { z } from 'zod';
import { defineTeamTroupe, modelFor } from '../shared/team-run.ts';

const FEATURE = 'rate limiting for the public API';

const plan = {
  subtasks: [
    { id: 'design', capability: 'design', input: `Design ${FEATURE}` },
    { id: 'build', capability: 'build', input: `Implement ${FEATURE}`, dependsOn: ['design'] },
    { id: 'test', capability: 'test', input: 'Run the test suite', dependsOn: ['build'] },
    { id: 'deploy', capability: 'deploy', input: 'Release to production', dependsOn: ['test'] },
  ],
};

export default defineTeamTroupe({
  name: 'software',
  ledger: 'software-team',
  team: 'team',
  human: 'release-manager',
  build(system, run) {
    const deployTool = tool({
      name: 'deploy',
      description: 'Release a version to an environment',
      input: z.object({ version: z.string(), target: z.enum(['staging', 'production']) }),
      needsApproval: true,
      run: (a) => `released ${a.version} to ${a.target}`,
    });
    const lead = defineAgent({
      type: 'tech-lead',
      model: modelFor('tech-lead', [JSON.stringify(plan)]),
      instructions:
        'Break the feature into subtasks for the capabilities design, build, test, deploy. Answer a plan as JSON.',
      output: Plan,
    });
    const architect = defineAgent({
      type: 'architect',
      model: modelFor('architect', [
        'Token bucket per API key in middleware/rate-limit.ts; 100 req/min, burst 20; 429 with Retry-After.',
      ]),
      instructions: 'Design the change: modules, data, limits. Answer in plain text.',
      output: z.string(),
    });
    const coder = defineAgent({
      type: 'coder',
      model: modelFor('coder', [
        'v1: middleware/rate-limit.ts with a token bucket per key',
        'v2: token bucket with burst refill, Retry-After header, 12 unit tests',
      ]),
      instructions: 'Write the code. When a review comes back, address every point.',
      output: z.string(),
    });
    const reviewer = defineAgent({
      type: 'reviewer',
      model: modelFor('reviewer', [
        JSON.stringify({ approved: false, feedback: 'burst refill is missing; no tests' }),
        JSON.stringify({ approved: true, feedback: 'LGTM' }),
      ]),
      instructions: 'Review the draft. Answer {"approved": boolean, "feedback": string}.',
      output: Verdict,
    });
    const tester = defineAgent({
      type: 'tester',
      model: modelFor('tester', [
        JSON.stringify({ passed: true, report: '212 tests passed, 0 failed' }),
      ]),
      instructions: 'Run the tests and report.',
      output: z.object({ passed: z.boolean(), report: z.string() }),
    });
    const deployer = defineAgent({
      type: 'deployer',
      model: modelFor('deployer', [
        { toolCalls: [{ name: 'deploy', args: { version: '1.4.0', target: 'production' } }] },
        'Released 1.4.0 to production after approval.',
      ]),
      instructions: 'Deploy the tested build with the deploy tool, then say what you released.',
      tools: [
        withApproval(deployTool, run.gate, system, {
          approvers: ['release-manager'],
          timeoutMs: 3_600_000,
        }),
      ],
      output: z.string(),
    });
    return supervisorTeam({
      type: 'software-team',
      planner: { def: lead, name: 'tech-lead' },
      workers: {
        design: { def: architect, name: 'architect' },
        build: {
          def: loop({
            type: 'code-review',
            worker: { def: coder, name: 'coder' },
            critic: { def: reviewer, name: 'reviewer' },
            maxRounds: 3,
          }),
          name: 'build',
        },
        test: { def: tester, name: 'tester' },
        deploy: { def: deployer, name: 'deployer' },
      },
      step: { retry: { attempts: 2 } },
    });
  },
  async job(ask) {
    console.log(`software team: ${FEATURE}`);
    const out = (await ask(FEATURE, 3_600_000)) as Record<string, unknown>;
    console.log(`result: design → ${String(out.design).slice(0, 60)}…`);
    console.log(`result: build → ${String(out.build)}`);
    console.log(`result: test → ${JSON.stringify(out.test)}`);
    console.log(`result: deploy → ${String(out.deploy)}`);
  },
  proves: { what: 'the production deploy', match: (e) => e.kind === 'approval.decided' },
});
