import { z } from 'zod';
import { defineActor } from '../../runtime/index.ts';

/** An actor whose `hang` never finishes: for watchdogs, deadlines and bounded shutdowns. */
export const Stuck = defineActor({
  type: 'stuck',
  state: () => null,
  asks: { hang: { request: z.object({}), reply: z.null() } },
  handle: {
    hang: () => new Promise<void>(() => {}),
  },
});
export type StuckP = NonNullable<(typeof Stuck)['__protocol']>;
