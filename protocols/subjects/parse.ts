import { LIT, RESERVED_NODES, ROOT } from './format.ts';
import type { Subject } from './subject.ts';
import { isToken } from './token.ts';

/**
 * What a troupe subject names, or null for a subject troupe does not build (a wildcard, a
 * foreign prefix, a token troupe would refuse, a shape of no kind). The inverse of
 * `buildSubject`.
 */
export function parseSubject(subject: string): Subject | null {
  if (typeof subject !== 'string') return null;
  const t = subject.split('.');
  if (t.length < 4 || t[0] !== ROOT) return null;
  for (let i = 1; i < t.length; i++) if (!isToken(t[i])) return null;
  const sys = t[1]!;
  const n = t.length;
  switch (t[2]) {
    case LIT.actor:
      return { kind: 'actor', system: sys, path: t.slice(3).join('/') };
    case LIT.shard:
      return n === 4 ? { kind: 'shard', system: sys, type: t[3]! } : null;
    case LIT.mesh:
      if (n >= 6 && t[4] === LIT.actor) {
        return { kind: 'meshActor', system: sys, site: t[3]!, path: t.slice(5).join('/') };
      }
      return n === 6 && t[4] === LIT.shard
        ? { kind: 'meshShard', system: sys, site: t[3]!, type: t[5]! }
        : null;
    case LIT.control:
      if (n === 6 && t[3] === LIT.any && t[4] === LIT.spawn) {
        return { kind: 'anySpawn', system: sys, type: t[5]! };
      }
      if (n === 5 && t[3] === LIT.all && t[4] === LIT.tree) return { kind: 'tree', system: sys };
      return n === 5 && !RESERVED_NODES.includes(t[3]!)
        ? { kind: 'control', system: sys, node: t[3]!, verb: t[4]! }
        : null;
    case LIT.heartbeat:
      return n === 4 ? { kind: 'heartbeat', system: sys, node: t[3]! } : null;
    case LIT.event:
      return n === 5 ? { kind: 'event', system: sys, node: t[3]!, event: t[4]! } : null;
    case LIT.audit:
      return n >= 5
        ? { kind: 'audit', system: sys, node: t[3]!, path: t.slice(4).join('/') }
        : null;
    case LIT.room:
      return n === 4 ? { kind: 'room', site: sys, room: t[3]! } : null;
    default:
      return null;
  }
}
