import { z } from 'zod';
import type { Cell } from '../cell.ts';
import { contextCell } from '../cell-context.ts';
import type { ActorContext, AskContext } from '../context.ts';
import { defineActor } from '../define-actor.ts';
import { InvalidArgument, NoSuchActor } from '../errors.ts';
import {
  type ChildSpec,
  type NormalizedChildSpec,
  normalizeChildSpec,
  normalizeFlags,
  type SupervisorFlags,
} from './child-spec.ts';
import {
  newRecord,
  resetChildren,
  type SupervisorState,
  startAll,
  startChild,
  stopRecords,
} from './supervisor.ts';

export interface SupervisorSpec<A> extends SupervisorFlags {
  /** The supervisor's type name (a subject token). */
  readonly type: string;
  /** Child specs in start order; for simple_one_for_one, exactly one template. */
  readonly children: readonly ChildSpec[] | ((args: A) => readonly ChildSpec[]);
}

const ChildInfo = z.object({
  id: z.string(),
  path: z.string().nullable(),
  status: z.enum(['running', 'restarting', 'terminated', 'waiting']),
  type: z.enum(['worker', 'supervisor']),
  restart: z.enum(['permanent', 'transient', 'temporary']),
  restarts: z.number(),
  lastFailure: z.string().nullable(),
});
export type ChildInfo = z.infer<typeof ChildInfo>;

/**
 * The supervisor API answers a bad request with an error reply; it never crashes the
 * supervisor (which would restart every child), as OTP's start_child returns {error, _}.
 */
function answered<M, R>(f: (st: SupervisorState, m: M, ctx: AskContext<R>) => R | Promise<R>) {
  return async (st: SupervisorState, m: M, ctx: AskContext<R>): Promise<void> => {
    const reply = ctx.deferReply();
    try {
      reply.reply(await f(st, m, ctx));
    } catch (err) {
      reply.fail(err instanceof Error ? err : new Error(String(err)));
    }
  };
}

function cellOf(ctx: ActorContext): Cell {
  return contextCell(ctx);
}

function find(st: SupervisorState, id: string, path: string) {
  const rec = st.children.find((r) => r.spec.id === id);
  if (!rec) throw new NoSuchActor(`${path}/${id}`);
  return rec;
}

/**
 * A supervisor: an actor that starts its children from plain-data specs, in order, and
 * restarts them by OTP's rules (strategy, restart type, intensity and period), with what
 * OTP lacks: backoff with jitter, restart from a snapshot, and non-exception failures.
 */
export function defineSupervisor<A = void>(spec: SupervisorSpec<A>) {
  if (typeof spec !== 'object' || spec === null)
    throw new InvalidArgument('defineSupervisor needs a spec');
  const { type, children, ...flagInput } = spec;
  const flags = normalizeFlags(flagInput);
  const build = (args: A): SupervisorState => {
    const list = typeof children === 'function' ? children(args) : children;
    if (!Array.isArray(list))
      throw new InvalidArgument(`supervisor ${type}: children must be an array of child specs`);
    const specs: NormalizedChildSpec[] = list.map((c, i) =>
      normalizeChildSpec(c, `supervisor ${type} child ${i}`),
    );
    const ids = new Set<string>();
    for (const s of specs) {
      if (ids.has(s.id))
        throw new InvalidArgument(`supervisor ${type}: duplicate child id ${s.id}`);
      ids.add(s.id);
    }
    if (flags.strategy === 'simple_one_for_one' && specs.length !== 1) {
      throw new InvalidArgument(
        `supervisor ${type}: simple_one_for_one needs exactly one child spec (the template)`,
      );
    }
    const simple = flags.strategy === 'simple_one_for_one';
    return {
      flags,
      children: simple ? [] : specs.map(newRecord),
      history: [],
      template: simple ? specs[0]! : null,
      nextId: 0,
      givingUp: false,
    };
  };
  // Validate static specs now, so a bad spec fails where it is written.
  if (typeof children !== 'function') build(undefined as A);

  const def = defineActor({
    type,
    state: build,
    asks: {
      whichChildren: { request: z.object({}), reply: z.array(ChildInfo) },
      countChildren: {
        request: z.object({}),
        reply: z.object({
          specs: z.number(),
          active: z.number(),
          supervisors: z.number(),
          workers: z.number(),
        }),
      },
      startChild: {
        request: z.object({
          id: z.string().optional(),
          args: z.unknown().optional(),
          spec: z.unknown().optional(),
        }),
        reply: z.string(),
      },
      terminateChild: { request: z.object({ id: z.string() }), reply: z.boolean() },
      restartChild: { request: z.object({ id: z.string() }), reply: z.string() },
      deleteChild: { request: z.object({ id: z.string() }), reply: z.boolean() },
    },
    handle: {
      whichChildren(st, _m, ctx) {
        ctx.reply(
          st.children.map((r) => ({
            id: r.spec.id,
            path: r.cell?.path ?? null,
            status: r.cell?.waiting ? 'waiting' : r.status,
            type: r.spec.type,
            restart: r.spec.restart,
            restarts: r.restarts,
            lastFailure: r.lastFailure,
          })),
        );
      },
      countChildren(st, _m, ctx) {
        const active = st.children.filter((r) => r.cell !== null && !r.cell.stopped);
        ctx.reply({
          specs: st.children.length,
          active: active.length,
          supervisors: st.children.filter((r) => r.spec.type === 'supervisor').length,
          workers: st.children.filter((r) => r.spec.type === 'worker').length,
        });
      },
      startChild: answered(async (st, m, ctx) => {
        const sup = cellOf(ctx);
        let child: NormalizedChildSpec;
        if (st.template !== null) {
          const id = m.id ?? `${st.template.id}-${++st.nextId}`;
          // The template is already normalized: drop the derived field the schema rejects.
          const { shutdownMs: _derived, ...template } = st.template;
          child = normalizeChildSpec({
            ...template,
            id,
            start: { ...template.start, args: m.args },
          });
        } else {
          if (m.spec === undefined) {
            throw new InvalidArgument('startChild needs { spec } (or use simple_one_for_one)');
          }
          child = normalizeChildSpec(m.spec);
        }
        if (st.children.some((r) => r.spec.id === child.id)) {
          throw new InvalidArgument(`${sup.path} already has a child ${child.id}`);
        }
        const rec = newRecord(child);
        st.children.push(rec);
        try {
          await startChild(sup, st, rec);
        } catch (err) {
          st.children.splice(st.children.indexOf(rec), 1);
          throw err;
        }
        return rec.cell!.path;
      }),
      terminateChild: answered(async (st, m, ctx) => {
        const rec = find(st, m.id, ctx.self.path);
        const c = rec.cell;
        rec.cell = null;
        rec.status = 'terminated';
        if (rec.timer) clearTimeout(rec.timer);
        rec.timer = null;
        if (c !== null && !c.stopped) await c.stop('shutdown');
        if (st.template !== null || rec.spec.restart === 'temporary') {
          st.children.splice(st.children.indexOf(rec), 1);
        }
        return true;
      }),
      restartChild: answered(async (st, m, ctx) => {
        const rec = find(st, m.id, ctx.self.path);
        if (rec.status !== 'terminated') {
          throw new InvalidArgument(`${m.id} is ${rec.status}, not terminated`);
        }
        await startChild(cellOf(ctx), st, rec);
        return rec.cell!.path;
      }),
      deleteChild: answered((st, m, ctx) => {
        const rec = find(st, m.id, ctx.self.path);
        if (rec.status !== 'terminated') {
          throw new InvalidArgument(`${m.id} is ${rec.status}: terminate it first`);
        }
        st.children.splice(st.children.indexOf(rec), 1);
        return true;
      }),
    },
    async onStart(st, ctx) {
      await startAll(cellOf(ctx), st);
    },
    onStop(st) {
      resetChildren(st);
    },
  });
  return Object.freeze({
    ...def,
    supervisor: flags,
    stopChildren: (st: SupervisorState) => stopRecords(st.children),
  });
}
