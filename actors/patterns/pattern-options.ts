// What the patterns' option schemas share, declared once so every pattern checks it alike.
import { z } from 'zod';
import { StepPolicySchema } from './member.ts';

/**
 * A name a pattern gives a route, a worker capability, a subtask or a peer: names become actor
 * names and subject tokens, so one token of letters, digits, `_` and `-`.
 */
export const TokenName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** Options every pattern with members takes: its actor type, the default member-call policy. */
export const PatternOptionFields = {
  type: z.string().optional(),
  step: StepPolicySchema.optional(),
};
