import {
  actorSubject,
  actorSubtreeWildcard,
  auditWildcard,
  controlWildcard,
  DEFAULT_INBOX_PREFIX,
  eventWildcard,
  heartbeatSubject,
  inboxWildcard,
  treeSubject,
} from '../../protocols/subjects/index.ts';
import { agentIdentity } from './identity.ts';

/** One process agent as the permissions see it: its path and the peers it declared. */
export interface AgentPlace {
  readonly path: string;
  readonly peers: readonly string[];
}

export interface AgentPermissions {
  readonly path: string;
  readonly user: string;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  /** Subjects inside its own subtree that belong to process agents below it. */
  readonly subscribeDeny: readonly string[];
}

function parentOf(path: string): string | null {
  const i = path.lastIndexOf('/');
  return i < 0 ? null : path.slice(0, i);
}

/** Whether `from` may send to `to`: its parent, its descendants, and the peers it declared. */
function maySend(from: AgentPlace, to: string): boolean {
  return parentOf(from.path) === to || to.startsWith(`${from.path}/`) || from.peers.includes(to);
}

/**
 * Least-privilege subjects for each process agent, from its place in the tree. An agent may
 * publish to its parent, its own subtree, its declared peers, its own event, heartbeat, audit
 * and control subjects, and the reply inboxes of whoever may ask it (the operator's `_INBOX`,
 * and the inboxes of agents allowed to send to it). It may subscribe to its own subjects and
 * its own inbox only. Everything else is denied by the server.
 */
export function agentPermissions(
  system: string,
  agents: readonly AgentPlace[],
): AgentPermissions[] {
  return agents.map((a) => {
    const id = agentIdentity(system, a.path);
    const self = actorSubject(system, a.path);
    const subtree = actorSubtreeWildcard(system, a.path);
    const pub = new Set<string>([self, subtree]);
    const parent = parentOf(a.path);
    if (parent !== null) pub.add(actorSubject(system, parent));
    for (const p of a.peers) pub.add(actorSubject(system, p));
    pub.add(eventWildcard(system, id.node));
    pub.add(heartbeatSubject(system, id.node));
    pub.add(auditWildcard(system, id.node));
    pub.add(controlWildcard(system, id.node));
    // Replies: the operator (supervising node, CLI) asks from `_INBOX`.
    pub.add(inboxWildcard(DEFAULT_INBOX_PREFIX));
    for (const other of agents) {
      if (other !== a && maySend(other, a.path))
        pub.add(inboxWildcard(agentIdentity(system, other.path).inboxPrefix));
    }
    const sub = [
      self,
      subtree,
      inboxWildcard(id.inboxPrefix),
      controlWildcard(system, id.node),
      treeSubject(system),
    ];
    // Its subtree is its own, except agents below it that run in processes of their own.
    const deny: string[] = [];
    for (const other of agents) {
      if (other.path.startsWith(`${a.path}/`)) {
        deny.push(actorSubject(system, other.path), actorSubtreeWildcard(system, other.path));
      }
    }
    return { path: a.path, user: id.user, publish: [...pub], subscribe: sub, subscribeDeny: deny };
  });
}
