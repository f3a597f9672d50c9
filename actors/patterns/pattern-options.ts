// What the patterns' option schemas share, declared once so every pattern checks it alike.
import { z } from 'zod';
import { type StepPolicy, StepPolicySchema } from './member.ts';

/** What every pattern with members takes besides its members. */
export interface PatternOptions {
  /** The actor type name (default: the pattern's name, e.g. `pipeline`). */
  readonly type?: string;
  /** The default policy for calls to members (timeout, retries). */
  readonly step?: StepPolicy;
}

/**
 * A name a pattern gives a route, a worker capability, a subtask or a peer: names become actor
 * names and subject tokens, so one token of letters, digits, `_` and `-`.
 */
export const TokenName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** PatternOptions as the fields of a pattern's options schema. */
export const PatternOptionFields = {
  type: z.string().optional(),
  step: StepPolicySchema.optional(),
};
