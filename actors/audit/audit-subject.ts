import * as subjects from '../../protocols/subjects/index.ts';

/** Names of the audit stream on the wire (DESIGN.md, "Names on the wire"). */

const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/** A subject token from arbitrary text: characters NATS or troupe would misread become `_`. */
function token(text: string): string {
  if (TOKEN.test(text)) return text;
  const t = text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128);
  return t.length > 0 ? t : '_';
}

export function isSubjectToken(text: string): boolean {
  return TOKEN.test(text);
}

/** `troupe.<sys>.audit.<node>.<actor path tokens>`: `team/coder` becomes `team.coder`. */
export function auditSubject(system: string, node: string, actor: string): string {
  const path = actor.split('/').map(token).join('/');
  return subjects.auditSubject(token(system), token(node), path);
}

/** Everything a system's audit stream captures. */
export function auditSubjects(system: string): string {
  return subjects.auditWildcard(system);
}

/** The JetStream stream (or local stream) of one system's audit events. */
export function auditStreamName(system: string): string {
  return `TROUPE_AUDIT_${system}`;
}

/** Where a running ledger announces checkpoints and alerts; node `*`: every node's (`ledger tail`). */
export function ledgerEventSubject(system: string, node: string): string {
  return node === '*'
    ? subjects.eventKindWildcard(system, 'ledger')
    : subjects.ledgerEventSubject(system, node);
}
