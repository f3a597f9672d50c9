import { z } from 'zod';
import { InvalidArgument } from '../../runtime/index.ts';
import { InvalidPlanError } from './errors.ts';
import { type Member, resolveMember, type StepPolicy, StepPolicySchema } from './member.ts';
import { definePattern, type PatternDef, parseOption } from './pattern-actor.ts';
import { PatternOptionFields, type PatternOptions, TokenName } from './pattern-options.ts';

/** What a planner answers: subtasks, each for a capability, with the subtasks it waits for. */
export const Plan = z
  .object({
    subtasks: z
      .array(
        z
          .object({
            id: TokenName,
            capability: z.string().min(1),
            input: z.unknown(),
            dependsOn: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict();
export type Plan = z.infer<typeof Plan>;

/** What a worker gets for a subtask that depends on others: its input and their outputs. */
export interface SubtaskInput {
  readonly input: unknown;
  readonly from: Readonly<Record<string, unknown>>;
}

/** What the synthesizer gets: the team's input, the plan, and every subtask's output by id. */
export interface SynthesisInput {
  readonly input: unknown;
  readonly plan: Plan;
  readonly results: Readonly<Record<string, unknown>>;
}

export interface SupervisorTeamOptions extends PatternOptions {
  readonly planner: Member;
  /** Workers by capability; several members for one capability share its subtasks in turn. */
  readonly workers: Readonly<Record<string, Member | readonly Member[]>>;
  /** Combines the results; without one the run's output is the results by subtask id. */
  readonly synthesizer?: Member;
  /** Policy for the planner's call; an invalid plan counts as a failed attempt. */
  readonly planStep?: StepPolicy;
}

const Options = z
  .object({
    planner: z.unknown(),
    workers: z.record(TokenName, z.unknown()),
    synthesizer: z.unknown().optional(),
    ...PatternOptionFields,
    planStep: StepPolicySchema.optional(),
  })
  .strict();

/** Check a plan against the team: capabilities it has, unique ids, known and acyclic dependencies. */
export function checkPlan(
  value: unknown,
  capabilities: ReadonlySet<string>,
  pattern: string,
): Plan {
  const r = Plan.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new InvalidPlanError(
      `${pattern}: the plan is malformed at ${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
    );
  }
  const plan = r.data;
  const ids = new Set<string>();
  for (const t of plan.subtasks) {
    if (ids.has(t.id)) throw new InvalidPlanError(`${pattern}: subtask id ${t.id} appears twice`);
    ids.add(t.id);
    if (!capabilities.has(t.capability)) {
      throw new InvalidPlanError(
        `${pattern}: subtask ${t.id} needs capability ${JSON.stringify(t.capability)}; the team has ${[...capabilities].join(', ')}`,
      );
    }
  }
  for (const t of plan.subtasks) {
    for (const d of t.dependsOn ?? []) {
      if (!ids.has(d))
        throw new InvalidPlanError(`${pattern}: subtask ${t.id} depends on unknown ${d}`);
    }
  }
  // Kahn's algorithm: a plan whose dependencies form a cycle would never finish.
  const indeg = new Map(plan.subtasks.map((t) => [t.id, (t.dependsOn ?? []).length]));
  const queue = plan.subtasks.filter((t) => indeg.get(t.id) === 0).map((t) => t.id);
  let seen = 0;
  while (queue.length > 0) {
    const id = queue.shift()!;
    seen++;
    for (const t of plan.subtasks) {
      if ((t.dependsOn ?? []).includes(id)) {
        const d = indeg.get(t.id)! - 1;
        indeg.set(t.id, d);
        if (d === 0) queue.push(t.id);
      }
    }
  }
  if (seen !== plan.subtasks.length)
    throw new InvalidPlanError(`${pattern}: subtask dependencies form a cycle`);
  return plan;
}

/**
 * Decompose, delegate, synthesize. The planner's typed plan routes each subtask to a worker with
 * its capability; subtasks whose dependencies are done run in parallel. A subtask that fails
 * (after retries) fails the run; subtasks not yet started then never start. A worker may itself
 * be a team: that is the hierarchy, by composition.
 * CrewAI `Process.hierarchical`, LangGraph supervisor, AutoGen SelectorGroupChat / MagenticOne.
 */
export function supervisorTeam(options: SupervisorTeamOptions): PatternDef {
  const o = parseOption(Options, options, 'supervisorTeam options');
  const members: Record<string, ReturnType<typeof resolveMember>> = {
    planner: resolveMember(o.planner, 'planner', 'supervisorTeam planner'),
  };
  const byCapability = new Map<string, string[]>();
  for (const [cap, m] of Object.entries(options.workers)) {
    const list = Array.isArray(m) ? (m as readonly Member[]) : [m as Member];
    if (list.length === 0) throw new InvalidArgument(`supervisorTeam: no worker for ${cap}`);
    byCapability.set(
      cap,
      list.map((w, i) => {
        const key = `w_${cap}_${i}`;
        members[key] = resolveMember(
          w,
          list.length === 1 ? cap : `${cap}${i + 1}`,
          `worker ${cap}`,
        );
        return key;
      }),
    );
  }
  if (byCapability.size === 0)
    throw new InvalidArgument('supervisorTeam needs at least one worker');
  if (o.synthesizer !== undefined) {
    members.synthesizer = resolveMember(o.synthesizer, 'synthesizer', 'supervisorTeam synthesizer');
  }
  const capabilities = new Set(byCapability.keys());
  const planAttempts = o.planStep?.retry?.attempts ?? o.step?.retry?.attempts ?? 1;
  const turn = new Map<string, number>();
  return definePattern({
    type: o.type ?? 'supervisor-team',
    members,
    ...(o.step ? { step: o.step } : {}),
    async logic(p, input) {
      let plan: Plan | undefined;
      for (let attempt = 1; plan === undefined; attempt++) {
        const raw = await p.call('planner', input, o.planStep ?? o.step ?? {});
        try {
          plan = checkPlan(raw, capabilities, p.pattern);
        } catch (err) {
          p.decide('team.plan_rejected', { attempt, error: (err as Error).message });
          if (attempt >= planAttempts) throw err;
        }
      }
      p.decide('team.plan', {
        subtasks: plan.subtasks.map((t) => ({
          id: t.id,
          capability: t.capability,
          dependsOn: t.dependsOn ?? [],
        })),
      });
      const results: Record<string, unknown> = {};
      const pending = new Map(plan.subtasks.map((t) => [t.id, t]));
      const running = new Map<string, Promise<void>>();
      let failure: unknown = null;
      while ((pending.size > 0 || running.size > 0) && failure === null) {
        for (const t of [...pending.values()]) {
          if (!(t.dependsOn ?? []).every((d) => d in results)) continue;
          pending.delete(t.id);
          const keys = byCapability.get(t.capability)!;
          const n = turn.get(t.capability) ?? 0;
          turn.set(t.capability, n + 1);
          const key = keys[n % keys.length]!;
          const deps = t.dependsOn ?? [];
          const subInput: unknown =
            deps.length === 0
              ? t.input
              : ({
                  input: t.input,
                  from: Object.fromEntries(deps.map((d) => [d, results[d]])),
                } satisfies SubtaskInput);
          p.decide('team.delegate', {
            subtask: t.id,
            capability: t.capability,
            worker: p.label(key),
          });
          running.set(
            t.id,
            p.call(key, subInput).then(
              (out) => {
                results[t.id] = out;
                running.delete(t.id);
              },
              (err: unknown) => {
                failure ??= err;
                running.delete(t.id);
              },
            ),
          );
        }
        if (running.size > 0) await Promise.race(running.values());
      }
      if (failure !== null) throw failure;
      if (members.synthesizer === undefined) return results;
      const out = await p.call('synthesizer', { input, plan, results } satisfies SynthesisInput);
      p.decide('team.synthesized', { subtasks: Object.keys(results) });
      return out;
    },
  });
}
