// Incident response (supervisor): the commander plans; a log analyzer and a metrics
// investigator work in parallel; remediation (restarting a service) waits for the on-call
// engineer's approval; communication writes the status update; the commander sums up.
//   offline (scripted model):  troupe up examples/incident-response --once
import { defineAgent, Plan, supervisorTeam, tool, withApproval } from 'troupe';
import { z } from 'zod';
import { defineTeamTroupe, modelFor } from '../shared/team-run.ts';

const ALERT = 'checkout-api p99 latency 4.2 s (SLO 300 ms) since 09:12 UTC';

const plan = {
  subtasks: [
    { id: 'logs', capability: 'logs', input: ALERT },
    { id: 'metrics', capability: 'metrics', input: ALERT },
    { id: 'fix', capability: 'remediate', input: 'Mitigate', dependsOn: ['logs', 'metrics'] },
    { id: 'update', capability: 'communicate', input: 'Status page update', dependsOn: ['fix'] },
  ],
};

export default defineTeamTroupe({
  name: 'incident',
  ledger: 'incident-response',
  team: 'incident',
  human: 'on-call',
  build(system, run) {
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
    return supervisorTeam({
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
  },
  async job(ask) {
    console.log(`incident: ${ALERT}`);
    const summary = await ask(ALERT, 900_000);
    console.log(`summary: ${String(summary)}`);
  },
  proves: { what: 'the approved remediation', match: (e) => e.kind === 'approval.decided' },
});
