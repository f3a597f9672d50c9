import { InvalidSubjectError } from './errors.ts';
import { fmt, LIT } from './format.ts';
import { assertInboxPrefix, assertToken } from './token.ts';

/**
 * Reply subjects. Each node has one inbox, `<prefix>.<node>`. A batch of asks is published
 * with the reply subject `<inbox>.b<seq>`: only the broker's no-responders status arrives
 * there. Answers, batched, come back on `<inbox>.r` and are matched by correlation id.
 */

/** The nats.js default; a process agent gets its own (`_INBOX_<hash>`) so only it reads it. */
export const DEFAULT_INBOX_PREFIX = '_INBOX';

/** `<prefix>.<node>`: everything this node is answered on lives below it. */
export function nodeInbox(prefix: string, node: string): string {
  assertInboxPrefix('inbox prefix', prefix);
  assertToken('node', node);
  return fmt.inbox(prefix, node);
}

/** `<inbox>.b<seq>`: the reply subject of one published batch of asks. */
export function askBatchReplySubject(inbox: string, seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new InvalidSubjectError(
      `seq must be a non-negative safe integer (got ${String(seq)})`,
      'seq',
    );
  }
  return fmt.askBatchReply(inbox, String(seq));
}

/** `<inbox>.r`: where the answers to a node's asks come back. */
export function repliesSubject(inbox: string): string {
  return fmt.replies(inbox);
}

/**
 * Where to answer an ask that arrived with the reply subject `replyTo` (`<inbox>.b<seq>`):
 * the asker's `<inbox>.r`.
 */
export function repliesSubjectOf(replyTo: string): string {
  return fmt.replies(replyTo.slice(0, replyTo.lastIndexOf('.')));
}

/** Everything under an inbox or inbox prefix: `<inbox>.>`. */
export function inboxWildcard(inbox: string): string {
  assertInboxPrefix('inbox', inbox);
  return `${inbox}.>`;
}

/** What arrived on `<inbox>.<token>`, the inbox's own subscription. */
export type InboxSubject =
  | { readonly kind: 'replies' }
  | { readonly kind: 'askBatch'; readonly seq: number };

const SEQ = /^(0|[1-9][0-9]{0,15})$/;

/** What `subject` is under `inbox`, or null if it is neither an answer nor a batch status. */
export function parseInboxSubject(inbox: string, subject: string): InboxSubject | null {
  if (subject.length <= inbox.length + 1 || !subject.startsWith(inbox)) return null;
  if (subject.charCodeAt(inbox.length) !== 46 /* . */) return null;
  const token = subject.slice(inbox.length + 1);
  if (token === LIT.replies) return { kind: 'replies' };
  if (token.startsWith(LIT.batch) && SEQ.test(token.slice(1))) {
    const seq = Number(token.slice(1));
    if (Number.isSafeInteger(seq)) return { kind: 'askBatch', seq };
  }
  return null;
}
