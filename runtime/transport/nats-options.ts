import { z } from 'zod';
import { isInboxPrefix } from '../../protocols/subjects/index.ts';

/** How to reach the broker. Validated, so a typo is one clear error naming the field. */
export const NatsOptionsSchema = z
  .object({
    kind: z.literal('nats'),
    servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    user: z.string().min(1).optional(),
    pass: z.string().optional(),
    token: z.string().min(1).optional(),
    /** A NATS credentials file (JWT + nkey seed). */
    credsFile: z.string().min(1).optional(),
    /** Inbox prefix for replies; set it per tenant when subject permissions are tight. */
    inboxPrefix: z.string().refine(isInboxPrefix, 'dot-separated subject tokens').optional(),
    connectTimeoutMs: z.number().int().positive().max(120_000).optional(),
    /** Largest batch of envelopes per NATS message; capped by the server's max_payload. */
    batchBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .optional(),
    /** Bytes of outgoing traffic held while the broker is unreachable, then sent on reconnect. */
    holdBytes: z
      .number()
      .int()
      .min(0)
      .max(1024 * 1024 * 1024)
      .optional(),
  })
  .strict();

export type NatsOptions = z.output<typeof NatsOptionsSchema>;
