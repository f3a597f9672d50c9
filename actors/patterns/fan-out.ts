import { z } from 'zod';
import { InvalidArgument } from '../../runtime/index.ts';
import { GatherFailedError } from './errors.ts';
import { type Member, resolveMember } from './member.ts';
import { definePattern, type PatternDef, parseOption } from './pattern-actor.ts';
import { PatternOptionFields, type PatternOptions } from './pattern-options.ts';

/** `all`: every member (less those tolerated to fail); `first`: the first success; `quorum`: the first n. */
export type Gather = 'all' | 'first' | { readonly quorum: number };

/** One member's answer, as `combine` gets them. */
export interface Gathered {
  readonly member: string;
  readonly index: number;
  readonly output: unknown;
}

export interface FanOutOptions extends PatternOptions {
  readonly to: readonly Member[];
  readonly gather?: Gather;
  /** With `all`: how many members may fail and the run still succeed (default 0). */
  readonly tolerate?: number;
  /** Shape the run's output from the answers (in member order); default: their outputs. */
  readonly combine?: (results: readonly Gathered[]) => unknown;
}

const Options = z
  .object({
    to: z.array(z.unknown()).min(1, 'at least one member'),
    gather: z
      .union([
        z.literal('all'),
        z.literal('first'),
        z.object({ quorum: z.number().int().min(1) }).strict(),
      ])
      .optional(),
    tolerate: z.number().int().min(0).optional(),
    combine: z.function().optional(),
    ...PatternOptionFields,
  })
  .strict();

/**
 * The same input to every member at once, then gather. Partial failure: `all` succeeds while
 * failures ≤ `tolerate`; `quorum: n` as soon as n succeed, fails as soon as n can no longer
 * succeed; `first` with the first success, fails when all failed. Members still running when
 * the gather is decided finish their work (bounded by the run's deadline) and are ignored.
 * LangGraph `Send` / supersteps, ADK ParallelAgent, CrewAI async tasks.
 */
export function fanOut(options: FanOutOptions): PatternDef {
  const o = parseOption(Options, options, 'fanOut options');
  const n = o.to.length;
  const gather = o.gather ?? 'all';
  const need = gather === 'all' ? n - (o.tolerate ?? 0) : gather === 'first' ? 1 : gather.quorum;
  if (need < 1 || need > n) {
    throw new InvalidArgument(
      `fanOut: needs ${need} of ${n} members to succeed; tolerate/quorum must leave 1..${n}`,
    );
  }
  if (gather !== 'all' && o.tolerate !== undefined) {
    throw new InvalidArgument('fanOut: tolerate applies to gather "all" only');
  }
  const combine =
    options.combine ??
    ((rs: readonly Gathered[]) => (gather === 'first' ? rs[0]!.output : rs.map((r) => r.output)));
  const members = Object.fromEntries(
    o.to.map((m, i) => [`m${i}`, resolveMember(m, `member${i + 1}`, `fanOut member ${i + 1}`)]),
  );
  return definePattern({
    type: o.type ?? 'fan-out',
    members,
    ...(o.step ? { step: o.step } : {}),
    logic(p, input) {
      return new Promise((resolve, reject) => {
        const ok: Gathered[] = [];
        const failures: { member: string; error: string }[] = [];
        let done = false;
        const finish = (): void => {
          if (done) return;
          if (ok.length >= need) {
            done = true;
            const chosen = [...ok].sort((a, b) => a.index - b.index);
            p.decide('team.gather', {
              gather: typeof gather === 'string' ? gather : `quorum ${gather.quorum}`,
              ok: chosen.map((r) => r.member),
              failed: failures.map((f) => f.member),
            });
            try {
              resolve(combine(chosen));
            } catch (err) {
              reject(err);
            }
          } else if (n - failures.length < need) {
            done = true;
            p.decide('team.gather', { failed: failures.map((f) => f.member), outcome: 'failed' });
            reject(
              new GatherFailedError(
                p.pattern,
                failures,
                `${p.pattern}: ${failures.length} of ${n} members failed, needed ${need} to succeed (${failures.map((f) => `${f.member}: ${f.error}`).join('; ')})`,
              ),
            );
          }
        };
        for (let i = 0; i < n; i++) {
          const key = `m${i}`;
          p.call(key, input).then(
            (output) => {
              ok.push({ member: p.label(key), index: i, output });
              finish();
            },
            (err: unknown) => {
              failures.push({
                member: p.label(key),
                error: err instanceof Error ? err.message : String(err),
              });
              finish();
            },
          );
        }
      });
    },
  });
}
