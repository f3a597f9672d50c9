import { z } from 'zod';

const Token = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a path segment: A-Z a-z 0-9 _ -');
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name');
const ActorPath = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}(\/[A-Za-z0-9_-]{1,128})*$/, 'an actor path like team/coder');

/**
 * `start.process` of a child spec: run the child as its own OS process. Plain data, checked
 * here so a typo fails when the spec is read, not when the process starts.
 */
export const ProcessStartSchema = z
  .object({
    /** The module that exports the child's definition (loaded by the troupe worker). */
    module: z.string().min(1).optional(),
    /** Instead of the troupe worker: a command speaking the stdio protocol (docs/isolation.md). */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** The agent's own directory (default `<root>/<path>`); `keep` (default) or `wipe` on each start. */
    workspace: z
      .object({
        dir: z.string().min(1).optional(),
        policy: z.enum(['keep', 'wipe']).optional(),
      })
      .strict()
      .optional(),
    /** The whole environment the process gets: nothing of the parent's is passed on. */
    env: z.record(EnvName, z.string()).optional(),
    /** Names of secrets from the store, delivered on a pipe at start (never env or disk). */
    secrets: z.array(EnvName).optional(),
    limits: z
      .object({
        memoryMb: z.number().int().min(16).max(1_048_576).optional(),
        cpuSeconds: z.number().int().min(1).max(31_536_000).optional(),
        /** Share of one CPU (cgroup v2 cpu.max only). */
        cpuPercent: z.number().int().min(1).max(100_000).optional(),
        openFiles: z.number().int().min(16).max(1_048_576).optional(),
        processes: z.number().int().min(1).max(1_048_576).optional(),
      })
      .strict()
      .optional(),
    /** Run as this user id (needs privileges); otherwise the parent's user. */
    uid: z.number().int().nonnegative().optional(),
    gid: z.number().int().nonnegative().optional(),
    /** Other actors (paths) this agent may send to besides its parent and children. */
    peers: z.array(ActorPath).optional(),
    /** Export name of the definition in `module`, when it is not found by type. */
    export: Token.optional(),
  })
  .strict()
  .refine((p) => (p.module === undefined) !== (p.command === undefined), {
    message: 'exactly one of module (a troupe worker) or command (the stdio protocol)',
  });

export type ProcessStart = z.output<typeof ProcessStartSchema>;
