import {
  type ActorDef,
  type AskContext,
  defineActor,
  InvalidArgument,
  parseOptions,
  type Ref,
  Stopped,
  Timeout,
} from '../../runtime/index.ts';
import { callMember, type Resolved, RunAsk, type StepPolicy, StepPolicySchema } from './member.ts';

/** What a pattern's logic sees of one run: its context, and its members by key. */
export interface PatternRun {
  readonly ctx: AskContext<unknown>;
  /** The pattern actor's path: how its audit events and errors name it. */
  readonly pattern: string;
  /** Ask member `key` to run `input` under the pattern's step policy (or `policy`). */
  call(key: string, input: unknown, policy?: StepPolicy): Promise<unknown>;
  /** The label of member `key`: a ref's path or a child's name. */
  label(key: string): string;
  ref(key: string): Ref;
  /** Record a decision in the audit ledger, with the pattern's path. */
  decide(kind: string, data: Record<string, unknown>): void;
}

export interface PatternState {
  refs: Record<string, Ref>;
  life: { alive: boolean };
}

type RunAsks = { run: typeof RunAsk };
export type PatternDef = ActorDef<PatternState, void, Record<never, never>, RunAsks>;

/** Parse a pattern option with a clear error that names the pattern and the field. */
export { parseOptions as parseOption };

/**
 * Build a pattern as an actor: its members (refs, or definitions started as its children so a
 * crashed member is restarted under it), and an ask `run` answering with `logic`'s result. A
 * run that fails answers the asker with the typed error; the pattern itself stays up (its own
 * bugs crash it like any actor). Runs proceed outside the handler, several at once; a restart
 * or stop of the pattern ends its runs in flight (no further member calls).
 */
export function definePattern(o: {
  readonly type: string;
  readonly members: Readonly<Record<string, Resolved>>;
  readonly step?: StepPolicy;
  readonly logic: (p: PatternRun, input: unknown) => Promise<unknown>;
}): PatternDef {
  const step = parseOptions(StepPolicySchema, o.step ?? {}, `${o.type} step`);
  const names = new Set<string>();
  for (const m of Object.values(o.members)) {
    if (m.kind !== 'child') continue;
    if (names.has(m.name)) {
      throw new InvalidArgument(
        `${o.type}: two members would be children named ${m.name}; give them names`,
      );
    }
    names.add(m.name);
  }
  const members = o.members;
  const lives = new Map<string, { alive: boolean }>();
  return defineActor({
    type: o.type,
    asks: { run: RunAsk },
    state: (): PatternState => ({ refs: {}, life: { alive: true } }),
    onStart(s, ctx) {
      // A new incarnation: runs of the previous one stop calling members.
      const prev = lives.get(ctx.self.path);
      if (prev) prev.alive = false;
      s.life = { alive: true };
      lives.set(ctx.self.path, s.life);
      const refs: Record<string, Ref> = {};
      for (const [key, m] of Object.entries(members)) {
        refs[key] = m.kind === 'ref' ? m.ref : ctx.spawn(m.def, { name: m.name, args: m.args });
      }
      s.refs = refs;
    },
    onStop(s, ctx) {
      s.life.alive = false;
      if (lives.get(ctx.self.path) === s.life) lives.delete(ctx.self.path);
    },
    handle: {
      run(s, m, ctx) {
        // The run goes on outside the handler: the mailbox stays free for the supervision of
        // the pattern's own members (a crashed child is restarted through it) and other runs.
        const reply = ctx.deferReply();
        const pattern = ctx.self.path;
        const life = s.life;
        const actx = ctx as AskContext<unknown>;
        const run: PatternRun = {
          ctx: actx,
          pattern,
          call: (key, input, policy) => {
            if (!life.alive) return Promise.reject(new Stopped(pattern, 'restarted or stopped'));
            return callMember(
              actx,
              refOf(s, key, pattern),
              members[key]!.label,
              input,
              policy ?? step,
              pattern,
            );
          },
          label: (key) => members[key]?.label ?? key,
          ref: (key) => refOf(s, key, pattern),
          decide: (kind, data) => ctx.audit(kind, { pattern, ...data }),
        };
        o.logic(run, m.input).then(
          (out) => reply.reply(out),
          (err: unknown) =>
            // A deadline is end to end: the asker hears Timeout whichever member ran out.
            reply.fail(
              err instanceof Timeout
                ? new Timeout(pattern, 'run', err.afterMs)
                : err instanceof Error
                  ? err
                  : new Error(String(err)),
            ),
        );
      },
    },
  }) as PatternDef;
}

function refOf(s: PatternState, key: string, pattern: string): Ref {
  const r = s.refs[key];
  if (r === undefined) throw new InvalidArgument(`${pattern}: no member ${key}`);
  return r;
}
