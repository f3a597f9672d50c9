import type { MailboxOptions, OverflowPolicy } from './context.ts';
import { InvalidArgument } from './errors.ts';
import { isMailboxCapacity } from './mailbox/index.ts';

/** Mailbox bound when neither spawn options nor the definition name one. */
export const DEFAULT_CAPACITY = 10_000;
/** Overflow policy when neither spawn options nor the definition name one: the sender hears. */
export const DEFAULT_OVERFLOW: OverflowPolicy = 'fail';

/** A mailbox's settings, resolved once: the spawn's options, else the definition's, else the defaults. */
export interface MailboxSettings {
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
}

/**
 * Resolve and check a mailbox's settings. Every spawn path (spawn, supervised child, child
 * hosted for another node) comes through here, so the defaults live in one place.
 */
export function mailboxSettings(
  spawn: MailboxOptions | undefined,
  def: MailboxOptions | undefined,
): MailboxSettings {
  const capacity = spawn?.capacity ?? def?.capacity ?? DEFAULT_CAPACITY;
  if (!isMailboxCapacity(capacity)) {
    throw new InvalidArgument(
      `mailbox capacity must be an integer in [1, 1e8] or Infinity (got ${capacity})`,
    );
  }
  const overflow: OverflowPolicy = spawn?.overflow ?? def?.overflow ?? DEFAULT_OVERFLOW;
  if (overflow !== 'fail' && overflow !== 'dropOldest' && overflow !== 'dropNewest') {
    throw new InvalidArgument(
      `mailbox overflow must be fail, dropOldest or dropNewest (got ${String(overflow)})`,
    );
  }
  return { capacity, overflow };
}
