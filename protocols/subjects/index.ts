// Every NATS subject troupe uses: one place builds, parses and validates them, and the subject
// table (docs, permissions) is derived from the same shapes.
export {
  actorSubject,
  alertEventSubject,
  anySpawnSubject,
  auditSubject,
  buildSubject,
  controlSubject,
  eventSubject,
  heartbeatSubject,
  ledgerEventSubject,
  logEventSubject,
  meshActorSubject,
  meshShardSubject,
  meshTailSubject,
  roomSubject,
  shardSubject,
  treeSubject,
} from './build.ts';
export { InvalidSubjectError } from './errors.ts';
export {
  askBatchReplySubject,
  DEFAULT_INBOX_PREFIX,
  type InboxSubject,
  inboxWildcard,
  nodeInbox,
  parseInboxSubject,
  repliesSubject,
  repliesSubjectOf,
} from './inbox.ts';
export { subjectMatches } from './match.ts';
export { parseSubject } from './parse.ts';
export type { Subject, SubjectKind } from './subject.ts';
export { SUBJECT_TABLE, type SubjectTableRow, subjectTableMarkdown } from './table.ts';
export {
  assertToken,
  isInboxPrefix,
  isPath,
  isToken,
  PATH_SOURCE,
  pathTokens,
  TOKEN_SOURCE,
} from './token.ts';
export {
  actorSubtreeWildcard,
  auditWildcard,
  controlWildcard,
  eventKindWildcard,
  eventWildcard,
  heartbeatWildcard,
  meshWildcard,
  roomWildcard,
  type SubjectPrefixKind,
  subjectPrefix,
} from './wildcards.ts';
