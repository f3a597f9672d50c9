import { z } from 'zod';

/**
 * The pipe between a supervisor and its agent process (fd 3, a socket pair): one JSON line
 * each way to start, then status lines from the agent. Secrets travel here, never in the
 * environment, argv or a file. docs/isolation.md documents it for agents not written in Node.
 */
export const Bootstrap = z
  .object({
    v: z.literal(1),
    system: z.string(),
    /** The agent process's node name. */
    node: z.string(),
    path: z.string(),
    type: z.string(),
    args: z.unknown().optional(),
    supervisorPath: z.string(),
    settings: z.object({
      restart: z.enum(['permanent', 'transient', 'temporary']),
      shutdownMs: z.number().nullable(),
      maxHandlerMs: z.number().nullable(),
      heartbeatMs: z.number().nullable(),
    }),
    restarts: z.number().int().nonnegative(),
    /** Export name of the definition in the module (else found by type). */
    export: z.string().optional(),
    nats: z.object({
      servers: z.string(),
      user: z.string(),
      pass: z.string(),
      inboxPrefix: z.string(),
    }),
    secrets: z.record(z.string(), z.string()),
    workspace: z.string(),
    logFile: z.string(),
    heartbeatMs: z.number().int().nonnegative(),
    logLevel: z.string(),
  })
  .strict();
export type Bootstrap = z.infer<typeof Bootstrap>;

/** What the agent process says back: ready, why it is about to exit, a refused subject. */
export const WorkerStatus = z.discriminatedUnion('t', [
  z.object({ t: z.literal('ready'), pid: z.number() }),
  z.object({
    t: z.literal('exit'),
    reason: z.string(),
    abnormal: z.boolean(),
    phase: z.enum(['start', 'message', 'exit']),
  }),
  z.object({
    t: z.literal('denied'),
    operation: z.enum(['publish', 'subscription']),
    subject: z.string(),
  }),
]);
export type WorkerStatus = z.infer<typeof WorkerStatus>;
