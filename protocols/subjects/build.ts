import { InvalidSubjectError } from './errors.ts';
import { fmt, LIT, RESERVED_NODES } from './format.ts';
import type { Subject } from './subject.ts';
import { assertToken, isToken, pathTokens } from './token.ts';

/** `troupe.<sys>.a.<path…>`: `team/coder` is written `team.coder`. */
export function actorSubject(system: string, path: string): string {
  assertToken('system', system);
  return fmt.actor(system, pathTokens('path', path));
}

/** `troupe.<sys>.t.<type>`, served by the queue group `<type>`. */
export function shardSubject(system: string, type: string): string {
  assertToken('system', system);
  assertToken('type', type);
  return fmt.shard(system, type);
}

/** What a node of `system` publishes for an actor of `site`: the local bridge carries it there. */
export function meshActorSubject(system: string, site: string, path: string): string {
  assertToken('system', system);
  assertToken('site', site);
  return fmt.meshActor(system, site, pathTokens('path', path));
}

export function meshShardSubject(system: string, site: string, type: string): string {
  assertToken('system', system);
  assertToken('site', site);
  assertToken('type', type);
  return fmt.meshShard(system, site, type);
}

function assertNode(node: string): void {
  assertToken('node', node);
  if (RESERVED_NODES.includes(node)) {
    throw new InvalidSubjectError(
      `node must not be ${RESERVED_NODES.map((n) => JSON.stringify(n)).join(' or ')}: the control plane reserves them (got ${JSON.stringify(node)})`,
      'node',
    );
  }
}

/** `troupe.<sys>.ctl.<node>.<verb>` (verbs: spawn, stop, restart, exit). */
export function controlSubject(system: string, node: string, verb: string): string {
  assertToken('system', system);
  assertNode(node);
  assertToken('verb', verb);
  return fmt.control(system, node, verb);
}

/** `troupe.<sys>.ctl.any.spawn.<type>`: a queue group per type, so one host answers. */
export function anySpawnSubject(system: string, type: string): string {
  assertToken('system', system);
  assertToken('type', type);
  return fmt.anySpawn(system, type);
}

/** `troupe.<sys>.ctl.all.tree`: every node answers (`troupe tree`, the dashboard). */
export function treeSubject(system: string): string {
  assertToken('system', system);
  return fmt.tree(system);
}

export function heartbeatSubject(system: string, node: string): string {
  assertToken('system', system);
  assertToken('node', node);
  return fmt.heartbeat(system, node);
}

/** `troupe.<sys>.evt.<node>.<event>`: `started`, `deadLetter`, `ledger`, `log`, `alert`, … */
export function eventSubject(system: string, node: string, event: string): string {
  assertToken('system', system);
  assertToken('node', node);
  assertToken('event', event);
  return fmt.event(system, node, event);
}

/** Where a running ledger announces checkpoints and alerts (`troupe ledger tail` listens). */
export function ledgerEventSubject(system: string, node: string): string {
  return eventSubject(system, node, 'ledger');
}

/** Where a node publishes its log lines (`troupe logs -f`). */
export function logEventSubject(system: string, node: string): string {
  return eventSubject(system, node, 'log');
}

/** Where the alerts actor publishes an alert (the dashboard shows them). */
export function alertEventSubject(system: string, node: string): string {
  return eventSubject(system, node, 'alert');
}

/** `troupe.<sys>.audit.<node>.<path…>`, captured by the system's audit stream. */
export function auditSubject(system: string, node: string, path: string): string {
  assertToken('system', system);
  assertToken('node', node);
  return fmt.audit(system, node, pathTokens('path', path));
}

/** `troupe.<site>.room.<room>`: a room's opened messages, as JSON, for this site's listeners. */
export function roomSubject(site: string, room: string): string {
  assertToken('site', site);
  assertToken('room', room);
  return fmt.room(site, room);
}

/**
 * What follows `troupe.<local>.mesh.<site>.` on the sending site (`a.<path…>` or `t.<type>`),
 * published on the receiving site as `troupe.<system>.<tail>`.
 */
export function meshTailSubject(system: string, tail: string): string {
  assertToken('system', system);
  const dot = tail.indexOf('.');
  const head = tail.slice(0, dot);
  const rest = tail.slice(dot + 1);
  if (dot > 0 && head === LIT.actor && rest.split('.').every((t) => isToken(t))) {
    return fmt.actor(system, rest);
  }
  if (dot > 0 && head === LIT.shard && isToken(rest)) return fmt.shard(system, rest);
  throw new InvalidSubjectError(
    `tail must be a.<path tokens> or t.<type> (got ${JSON.stringify(tail)})`,
    'tail',
  );
}

/** Any subject from its data: the inverse of `parseSubject`. */
export function buildSubject(s: Subject): string {
  switch (s.kind) {
    case 'actor':
      return actorSubject(s.system, s.path);
    case 'shard':
      return shardSubject(s.system, s.type);
    case 'meshActor':
      return meshActorSubject(s.system, s.site, s.path);
    case 'meshShard':
      return meshShardSubject(s.system, s.site, s.type);
    case 'control':
      return controlSubject(s.system, s.node, s.verb);
    case 'anySpawn':
      return anySpawnSubject(s.system, s.type);
    case 'tree':
      return treeSubject(s.system);
    case 'heartbeat':
      return heartbeatSubject(s.system, s.node);
    case 'event':
      return eventSubject(s.system, s.node, s.event);
    case 'audit':
      return auditSubject(s.system, s.node, s.path);
    case 'room':
      return roomSubject(s.site, s.room);
  }
}
