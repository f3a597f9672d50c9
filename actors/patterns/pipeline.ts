import { z } from 'zod';
import { InvalidArgument } from '../../runtime/index.ts';
import { type Member, resolveMember } from './member.ts';
import { definePattern, type PatternDef, parseOption } from './pattern-actor.ts';
import { PatternOptionFields, type PatternOptions } from './pattern-options.ts';

export type PipelineOptions = PatternOptions;

const Options = z.object(PatternOptionFields).strict();

/**
 * Steps one after another: each step's output is the next step's input; the last output is the
 * run's. A step that fails (after its retries) fails the run; later steps never run.
 * CrewAI `Process.sequential`, LangGraph edges, AutoGen RoundRobin / ADK SequentialAgent.
 */
export function pipeline(steps: readonly Member[], options: PipelineOptions = {}): PipelineDef {
  const o = parseOption(Options, options, 'pipeline options');
  if (!Array.isArray(steps) || steps.length === 0) {
    throw new InvalidArgument('pipeline needs a non-empty array of steps');
  }
  const members = Object.fromEntries(
    steps.map((m, i) => [`s${i}`, resolveMember(m, `step${i + 1}`, `pipeline step ${i + 1}`)]),
  );
  return definePattern({
    type: o.type ?? 'pipeline',
    members,
    ...(o.step ? { step: o.step } : {}),
    async logic(p, input) {
      let value = input;
      for (let i = 0; i < steps.length; i++) {
        value = await p.call(`s${i}`, value);
        p.decide('team.step', { step: i + 1, member: p.label(`s${i}`) });
      }
      return value;
    },
  });
}

export type PipelineDef = PatternDef;
