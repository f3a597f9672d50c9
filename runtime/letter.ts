import type { ReplyTarget } from './pending-ask.ts';

export const LetterKind = { tell: 0, ask: 1, system: 4 } as const;

/** A message inside the process: what a mailbox holds. Fixed shape, so the hot path stays monomorphic. */
export class Letter {
  constructor(
    public kind: number,
    public type: string,
    public body: unknown,
    /** Sender actor path in this system, or null. */
    public from: string | null,
    public reply: ReplyTarget | null,
    /** Absolute deadline (epoch ms), 0 when none. */
    public deadline: number,
    public trace: string | null,
    public hops: number,
  ) {}
}

/** System message types: never in a user protocol (names start with `$`). */
export const SYS_START = '$start';
export const SYS_TERMINATED = '$terminated';
