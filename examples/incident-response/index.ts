// Incident response (supervisor): the commander plans; a log analyzer and a metrics
// investigator work in parallel; remediation (restarting a service) waits for the on-call
// engineer's approval; communication writes the status update; the commander sums up.
//   offline (scripted model):  troupe up examples/incident-response --once
import {
  type ActorRef,
  defineAgent,
  defineTroupe,
  type PatternDef,
  Plan,
  supervisorTeam,
  tool,
  withApproval,
} from 'troupe';
import { z } from 'zod';
import { humans, modelFor, proveAndClose, startTeamRun, type TeamRun } from '../shared/team-run.ts';

const ALERT = 'checkout-api p99 latency 4.2 s (SLO 300 ms) since 09:12 UTC';

const plan = {
  subtasks: [
    { id: 'logs', capability: 'logs', input: ALERT },
    { id: 'metrics', capability: 'metrics', input: ALERT },
    { id: 'fix', capability: 'remediate', input: 'Mitigate', dependsOn: ['logs', 'metrics'] },
    { id: 'update', capability: 'communicate', input: 'Status page update', dependsOn: ['fix'] },
  ],
};

let run: TeamRun;
let team: ActorRef<NonNullable<PatternDef['__protocol']>>;

export default defineTroupe({
  name: 'incident',
  async setup(system) {
    run = await startTeamRun(system, 'incident-response');
    const restart = tool({
      name: 'restart_service',
      description: 'Rolling restart of a service',
      input: z.object({ service: z.string(), reason: z.string() }),
      needsApproval: true,
      run: (a) => `rolling restart of ${a.service} done; p99 back to 180 ms`,
    });
    const commander = defineAgent({
      type: 'commander',
      model: modelFor('commander', [
        JSON.stringify(plan),
        'Resolved: connection-pool leak in checkout-api 2.31; restarted with approval; follow-up: pin pool size, add leak alert.',
      ]),
      instructions:
        'Run the incident: plan the investigation, then sum up what was found and done.',
      output: z.union([Plan, z.string()]),
    });
    const logs = defineAgent({
      type: 'log-analyzer',
      model: modelFor('log-analyzer', [
        '"pool exhausted" errors from 09:11, 3.2k/min, only on checkout-api 2.31',
      ]),
      instructions: 'Find what the logs say about the alert.',
      output: z.string(),
    });
    const metrics = defineAgent({
      type: 'metrics-investigator',
      model: modelFor('metrics-investigator', [
        'DB connections flat at the pool max (50) since deploy 2.31 at 09:10',
      ]),
      instructions: 'Find what the metrics say about the alert.',
      output: z.string(),
    });
    const remediation = defineAgent({
      type: 'remediation',
      model: modelFor('remediation', [
        {
          toolCalls: [
            {
              name: 'restart_service',
              args: { service: 'checkout-api', reason: 'connection pool leak' },
            },
          ],
        },
        'Restarted checkout-api (approved); latency recovered.',
      ]),
      instructions: 'Mitigate with the smallest safe action. Restarts need approval.',
      tools: [
        withApproval(restart, run.gate, system, { approvers: ['on-call'], timeoutMs: 900_000 }),
      ],
      output: z.string(),
    });
    const comms = defineAgent({
      type: 'communication',
      model: modelFor('communication', [
        '[Resolved] Checkout was slow 09:12-09:31 UTC; fixed by a restart. Root cause under review.',
      ]),
      instructions: 'Write a short status page update.',
      output: z.string(),
    });
    const def = supervisorTeam({
      type: 'incident-response',
      planner: { def: commander, name: 'commander' },
      workers: {
        logs: { def: logs, name: 'log-analyzer' },
        metrics: { def: metrics, name: 'metrics-investigator' },
        remediate: { def: remediation, name: 'remediation' },
        communicate: { def: comms, name: 'communication' },
      },
      synthesizer: { def: commander, name: 'commander-summary' },
    });
    team = system.spawn(def, { name: 'incident' });
  },
  async run(system) {
    console.log(`incident: ${ALERT}`);
    const stop = await humans(system, run, 'on-call');
    try {
      const summary = await system.ask(team, 'run', { input: ALERT }, { timeout: 900_000 });
      console.log(`summary: ${String(summary)}`);
    } finally {
      stop();
    }
    await proveAndClose(run, 'the approved remediation', (e) => e.kind === 'approval.decided');
  },
});
