import { z } from 'zod';
import { LoopExhaustedError } from './errors.ts';
import { type Member, resolveMember } from './member.ts';
import { definePattern, type PatternDef, parseOption } from './pattern-actor.ts';
import { PatternOptionFields, type PatternOptions } from './pattern-options.ts';

/** What the critic answers by default: approved or not, and what to change. */
export const Verdict = z.object({ approved: z.boolean(), feedback: z.string().optional() });
export type Verdict = z.infer<typeof Verdict>;

/** What the worker gets after the first round: the task, its last draft, and the critic's verdict. */
export interface RevisionInput {
  readonly input: unknown;
  readonly draft: unknown;
  readonly verdict: unknown;
  readonly round: number;
}

/** What the critic gets each round. */
export interface ReviewInput {
  readonly input: unknown;
  readonly draft: unknown;
  readonly round: number;
}

export interface LoopOptions extends PatternOptions {
  readonly worker: Member;
  readonly critic: Member;
  /** Stop when this says the verdict approves (default: `verdict.approved === true`). */
  readonly until?: (verdict: unknown, round: number) => boolean;
  readonly maxRounds: number;
  /** Out of rounds: fail with LoopExhaustedError (default) or answer the last draft. */
  readonly onExhausted?: 'fail' | 'last';
}

const Options = z
  .object({
    worker: z.unknown(),
    critic: z.unknown(),
    until: z.function().optional(),
    maxRounds: z.number().int().min(1).max(1000),
    onExhausted: z.enum(['fail', 'last']).optional(),
    ...PatternOptionFields,
  })
  .strict();

const approvedByDefault = (v: unknown): boolean => Verdict.safeParse(v).data?.approved === true;

/**
 * Work, review, revise until the critic approves or the rounds run out; the output is the
 * approved draft. Debate and review-until-approved.
 * ADK LoopAgent, LangGraph cycles with a recursion limit, AutoGen termination conditions.
 */
export function loop(options: LoopOptions): PatternDef {
  const o = parseOption(Options, options, 'loop options');
  const until = options.until ?? approvedByDefault;
  return definePattern({
    type: o.type ?? 'loop',
    members: {
      worker: resolveMember(o.worker, 'worker', 'loop worker'),
      critic: resolveMember(o.critic, 'critic', 'loop critic'),
    },
    ...(o.step ? { step: o.step } : {}),
    async logic(p, input) {
      let draft: unknown;
      let verdict: unknown;
      for (let round = 1; round <= o.maxRounds; round++) {
        draft = await p.call(
          'worker',
          round === 1 ? input : ({ input, draft, verdict, round } satisfies RevisionInput),
        );
        verdict = await p.call('critic', { input, draft, round } satisfies ReviewInput);
        const approved = until(verdict, round);
        p.decide('team.review', { round, approved, critic: p.label('critic') });
        if (approved) return draft;
      }
      if (o.onExhausted === 'last') return draft;
      throw new LoopExhaustedError(p.pattern, o.maxRounds, verdict);
    },
  });
}
