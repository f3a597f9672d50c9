/**
 * Whether `subject` is matched by the NATS filter `filter` (`*` one token, `>` one or more
 * trailing tokens). What the server does with subscriptions and permissions, for checking
 * that a filter built here covers what it should and nothing else.
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    const t = f[i];
    if (t === '>') return s.length > i;
    if (i >= s.length) return false;
    if (t !== '*' && t !== s[i]) return false;
  }
  return f.length === s.length;
}
