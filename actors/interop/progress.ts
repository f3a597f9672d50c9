import { z } from 'zod';
import {
  type ActorContext,
  type ActorRef,
  type ActorSystem,
  defineActor,
} from '../../runtime/index.ts';

/**
 * What an interop server tells a served run, when the run's request schema declares an
 * `interop` key (`interop: InteropMeta.optional()`): the id of this run (the A2A task id or
 * the MCP request id) and where to report progress. Runs that do not declare it never see it.
 */
export const InteropMeta = z.object({
  runId: z.string().min(1).max(256),
  /** Path of the progress relay of the server that started the run. */
  progressTo: z.string().min(1).max(512),
});
export type InteropMeta = z.infer<typeof InteropMeta>;

/** One progress report: a message, and optionally `progress` out of `total`. */
export const ProgressReport = z.object({
  runId: z.string().min(1).max(256),
  message: z.string().max(10_000).optional(),
  progress: z.number().nonnegative().optional(),
  total: z.number().positive().optional(),
});
export type ProgressReport = z.infer<typeof ProgressReport>;
export type ProgressListener = (p: Omit<ProgressReport, 'runId'>) => void;

/**
 * The hook an agent calls during a run: `reportProgress(ctx, req.interop, { message })`. A2A
 * turns it into a `working` status update with the message, MCP into
 * `notifications/progress`. Without `meta` (a run started by plain ask) it does nothing.
 */
export function reportProgress(
  ctx: Pick<ActorContext, 'tell' | 'system'>,
  meta: InteropMeta | undefined,
  report: Omit<ProgressReport, 'runId'>,
): void {
  if (!meta) return;
  const to = { system: ctx.system, path: meta.progressTo } as ActorRef<RelayProtocol>;
  ctx.tell(to, 'progress', { ...report, runId: meta.runId });
}

type RelayProtocol = {
  tells: { progress: typeof ProgressReport };
  asks: Record<never, never>;
};

/** Listeners of the runs in flight, by run id; owned by the server that spawned the relay. */
export type RelayListeners = Map<string, ProgressListener>;

/** Routes progress reports to the listener of their run; a report for a finished run is dropped. */
export const ProgressRelay = defineActor({
  type: 'interop-progress',
  state: (listeners: RelayListeners) => ({ listeners }),
  tells: { progress: ProgressReport },
  asks: {
    /** Answered after every report queued before it: a run's last progress precedes its result. */
    flush: { request: z.object({}), reply: z.boolean() },
  },
  handle: {
    flush: (_s, _m, ctx) => ctx.reply(true),
    progress: (s, m) => {
      const l = s.listeners.get(m.runId);
      if (!l) return;
      const { runId: _, ...rest } = m;
      try {
        l(rest);
      } catch {
        // A listener's failure (a closed stream) must not crash the relay.
      }
    },
  },
});

export function spawnRelay(system: ActorSystem, name: string, listeners: RelayListeners) {
  return system.spawn(ProgressRelay, { name, args: listeners });
}
