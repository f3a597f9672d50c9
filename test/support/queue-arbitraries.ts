import fc from 'fast-check';
import type { OverflowPolicy } from '../../runtime/context.ts';

/** A mailbox capacity as a property test draws it: small enough to fill, or unbounded. */
export const capacityArb = fc.oneof(
  fc.integer({ min: 1, max: 40 }),
  fc.constant(Number.POSITIVE_INFINITY),
);

/** Any overflow policy. */
export const policyArb = fc.constantFrom<OverflowPolicy>('fail', 'dropOldest', 'dropNewest');
