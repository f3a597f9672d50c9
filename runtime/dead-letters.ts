import { z } from 'zod';
import { defineActor } from './define-actor.ts';

/** A message that was not handled, and why. Kept so nothing disappears silently. */
export const DeadLetterSchema = z.object({
  to: z.string(),
  from: z.string().nullable(),
  type: z.string(),
  reason: z.string(),
  at: z.number(),
  /** The body when its encoding fits the budget, else its first bytes (`truncated`). */
  body: z.unknown(),
  /** Encoded size of the whole body in bytes (null when it could not be encoded). */
  size: z.number().nullable(),
  truncated: z.boolean(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

const KEEP = 1000;

/** Records dead letters: a running count and the most recent ones, for tools and tests. */
export const DeadLetters = defineActor({
  type: 'dead-letters',
  state: () => ({ count: 0, recent: [] as DeadLetter[] }),
  tells: { record: DeadLetterSchema },
  asks: {
    recent: {
      request: z.object({ limit: z.number().int().positive().max(KEEP).optional() }),
      reply: z.object({ count: z.number(), letters: z.array(DeadLetterSchema) }),
    },
  },
  handle: {
    record(state, letter) {
      state.count++;
      state.recent.push(letter);
      if (state.recent.length > KEEP) state.recent.splice(0, state.recent.length - KEEP);
    },
    recent(state, { limit }, ctx) {
      ctx.reply({ count: state.count, letters: state.recent.slice(-(limit ?? KEEP)) });
    },
  },
  // Dead letters must never push back on whoever is failing: drop the oldest record instead.
  mailbox: { capacity: 10_000, overflow: 'dropOldest' },
});

export const DEAD_LETTERS_PATH = 'sys/dead-letters';
