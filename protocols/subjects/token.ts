import { InvalidSubjectError } from './errors.ts';

/**
 * One subject token as troupe writes it. NATS forbids `.`, `*`, `>` and whitespace; troupe is
 * stricter so a token survives any tool, log line or file name it is copied into.
 */
export const TOKEN_SOURCE = '[A-Za-z0-9_-]{1,128}';
const TOKEN = new RegExp(`^${TOKEN_SOURCE}$`);
/** An actor path as it is written in troupe: `/`-separated tokens (`team/coder`). */
export const PATH_SOURCE = `${TOKEN_SOURCE}(?:/${TOKEN_SOURCE})*`;
const PATH = new RegExp(`^${PATH_SOURCE}$`);
/** A reply inbox prefix: `.`-separated tokens (`_INBOX`, `_INBOX_ab12`, `tenant._INBOX`). */
const PREFIX = new RegExp(`^${TOKEN_SOURCE}(?:\\.${TOKEN_SOURCE})*$`);

export function isToken(s: unknown): s is string {
  return typeof s === 'string' && TOKEN.test(s);
}

export function isPath(s: unknown): s is string {
  return typeof s === 'string' && PATH.test(s);
}

export function isInboxPrefix(s: unknown): s is string {
  return typeof s === 'string' && PREFIX.test(s);
}

/** Throws InvalidSubjectError naming `field` unless `s` is one subject token. */
export function assertToken(field: string, s: unknown): asserts s is string {
  if (!isToken(s)) {
    throw new InvalidSubjectError(
      `${field} must be a subject token: 1-128 characters of A-Z a-z 0-9 _ - (got ${JSON.stringify(s)})`,
      field,
    );
  }
}

/** An actor path (`team/coder`) as its subject tokens (`team.coder`); throws if any is not a token. */
export function pathTokens(field: string, path: unknown): string {
  if (!isPath(path)) {
    throw new InvalidSubjectError(
      `${field} must be an actor path of subject tokens separated by / (got ${JSON.stringify(path)})`,
      field,
    );
  }
  return path.replaceAll('/', '.');
}

export function assertInboxPrefix(field: string, s: unknown): asserts s is string {
  if (!isInboxPrefix(s)) {
    throw new InvalidSubjectError(
      `${field} must be subject tokens separated by . (got ${JSON.stringify(s)})`,
      field,
    );
  }
}
