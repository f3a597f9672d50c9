import { z } from 'zod';
import {
  heartbeatSubject as heartbeat,
  heartbeatWildcard,
  PATH_SOURCE,
  TOKEN_SOURCE,
} from '../../protocols/subjects/index.ts';

// The control plane's subjects are built in protocols/subjects, under the names it always had.
export {
  anySpawnSubject,
  controlSubject as ctlSubject,
  treeSubject,
} from '../../protocols/subjects/index.ts';

/**
 * The control plane between nodes of one system, on `troupe.<sys>.ctl.<node>.<verb>`: a
 * supervisor starts, stops and restarts a child hosted by another process, and hosts report
 * their children's exits back. Bodies are MessagePack, validated on receipt.
 */
/** Milliseconds a Node timer can hold: a longer delay would fire after 1 ms, in a loop. */
const TimerMs = z.number().int().nonnegative().max(2_147_483_647);
/** An actor path as the wire may name it: `/`-separated subject tokens, nothing else. */
const WirePath = z
  .string()
  .regex(new RegExp(`^${PATH_SOURCE}$`), 'an actor path of subject tokens');
/** Who asked, as the requester states it: only trustworthy with per-node credentials. */
const Requester = z.string().max(256).optional();

export const ChildSettingsSchema = z.object({
  restart: z.enum(['permanent', 'transient', 'temporary']),
  shutdownMs: TimerMs.nullable(), // null = infinity
  maxHandlerMs: TimerMs.nullable(),
  heartbeatMs: TimerMs.nullable(),
});

export const SpawnRequest = z.object({
  type: z.string(),
  path: WirePath,
  args: z.unknown().optional(),
  supervisor: z.object({ node: z.string(), path: WirePath }),
  settings: ChildSettingsSchema,
  restarts: z.number().int().nonnegative(),
  by: Requester,
});
export type SpawnRequest = z.infer<typeof SpawnRequest>;

export const StopRequest = z.object({
  path: WirePath,
  reason: z.string().max(1024),
  timeoutMs: TimerMs.nullable(),
  by: Requester,
});
export const RestartRequest = z.object({ path: WirePath, by: Requester });

/** A hosted child exited (crashed, hung, or stopped itself): the host tells its supervisor. */
export const ExitReport = z.object({
  path: z.string(),
  node: z.string(),
  reason: z.string(),
  abnormal: z.boolean(),
  phase: z.enum(['start', 'message', 'exit']),
});
export type ExitReport = z.infer<typeof ExitReport>;

export const Heartbeat = z.object({
  node: z.string().regex(new RegExp(`^${TOKEN_SOURCE}$`)),
  intervalMs: z.number().int().positive().max(600_000),
});

/** Every reply: ok with the node that acted, or a wire error. */
export const ControlReply = z.union([
  z.object({ ok: z.literal(true), node: z.string() }),
  z.object({
    ok: z.literal(false),
    code: z.string(),
    message: z.string(),
    detail: z.unknown().optional(),
  }),
]);
export type ControlReply = z.infer<typeof ControlReply>;

/** One actor as `troupe tree` shows it. */
export const TreeRow = z.object({
  path: z.string(),
  type: z.string(),
  node: z.string(),
  status: z.string(),
  restarts: z.number(),
  lastFailure: z.string().nullable(),
  uptimeMs: z.number(),
  /** Letters waiting in the mailbox (`troupe ps`, `troupe top`, the dashboard). */
  mailboxDepth: z.number().optional(),
  /** Messages handled since spawn, across restarts: rates come from two readings. */
  messages: z.number().optional(),
  supervisor: z.boolean(),
  /** For a child hosted here but supervised elsewhere: its supervisor. */
  supervisedBy: z.string().nullable(),
  /** For an agent running as its own OS process (actors/process): what `troupe ps` shows. */
  process: z
    .object({
      pid: z.number(),
      rssBytes: z.number(),
      cpuMs: z.number(),
      workspace: z.string(),
      logFile: z.string(),
    })
    .optional(),
});
export type TreeRow = z.infer<typeof TreeRow>;

/** A node's heartbeat subject; `*` for every node's (what a supervisor listens to). */
export function heartbeatSubject(system: string, node: string): string {
  return node === '*' ? heartbeatWildcard(system) : heartbeat(system, node);
}
