import { z } from 'zod';
import { InvalidArgument } from '../../runtime/index.ts';
import { NoRouteError } from './errors.ts';
import { type Member, resolveMember } from './member.ts';
import { definePattern, type PatternDef, parseOption } from './pattern-actor.ts';
import { PatternOptionFields, type PatternOptions, TokenName } from './pattern-options.ts';

/** What triage answers: a route name, or a route and the input to give it. */
export const Triage = z.union([
  z.string().min(1),
  z.object({ route: z.string().min(1), input: z.unknown().optional() }),
]);

export interface RouterOptions extends PatternOptions {
  readonly triage: Member;
  readonly routes: Readonly<Record<string, Member>>;
  /** The route taken when triage names none of `routes` (else NoRouteError). */
  readonly fallback?: string;
}

const Options = z
  .object({
    triage: z.unknown(),
    routes: z.record(TokenName, z.unknown()),
    fallback: z.string().optional(),
    ...PatternOptionFields,
  })
  .strict();

/**
 * Triage picks one route; the input (or the one triage rewrote) goes to that member alone.
 * LangGraph conditional edges, CrewAI Flow `@router`, AutoGen Selector / Swarm handoff.
 */
export function router(options: RouterOptions): PatternDef {
  const o = parseOption(Options, options, 'router options');
  const names = Object.keys(o.routes);
  if (names.length === 0) throw new InvalidArgument('router needs at least one route');
  if (o.fallback !== undefined && !names.includes(o.fallback)) {
    throw new InvalidArgument(`router: fallback ${o.fallback} is not one of the routes`);
  }
  const members: Record<string, ReturnType<typeof resolveMember>> = {
    triage: resolveMember(o.triage, 'triage', 'router triage'),
  };
  for (const r of names) members[`r_${r}`] = resolveMember(o.routes[r], r, `route ${r}`);
  return definePattern({
    type: o.type ?? 'router',
    members,
    ...(o.step ? { step: o.step } : {}),
    async logic(p, input) {
      const raw = await p.call('triage', input);
      const t = Triage.safeParse(raw);
      if (!t.success) throw new NoRouteError(p.pattern, JSON.stringify(raw) ?? 'undefined');
      const chosen = typeof t.data === 'string' ? t.data : t.data.route;
      const next = typeof t.data === 'string' || t.data.input === undefined ? input : t.data.input;
      const route = names.includes(chosen) ? chosen : o.fallback;
      p.decide('team.route', { chosen, route: route ?? null });
      if (route === undefined) throw new NoRouteError(p.pattern, chosen);
      return p.call(`r_${route}`, next);
    },
  });
}
