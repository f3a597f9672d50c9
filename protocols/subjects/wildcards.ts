import { InvalidSubjectError } from './errors.ts';
import { fmt, LIT, ROOT } from './format.ts';
import { assertToken, pathTokens } from './token.ts';

/**
 * Subject filters (NATS wildcards) over the kinds `build.ts` makes: what bridges, streams,
 * listeners and per-agent permissions subscribe to or allow. `*` is one token, `>` the rest.
 */

/** An actor's own subtree below it: `troupe.<sys>.a.<path…>.>`. */
export function actorSubtreeWildcard(system: string, path: string): string {
  assertToken('system', system);
  return `${fmt.actor(system, pathTokens('path', path))}.>`;
}

/**
 * Traffic bound for other sites: `troupe.<sys>.mesh.>` (the bridge), or for one site
 * `troupe.<sys>.mesh.<site>.>`; `site` may be `*` for every site, one subscription.
 */
export function meshWildcard(system: string, site?: string): string {
  assertToken('system', system);
  if (site === undefined) return `${ROOT}.${system}.${LIT.mesh}.>`;
  if (site !== '*') assertToken('site', site);
  return `${fmt.mesh(system, site)}.>`;
}

/** Every control verb of one node: `troupe.<sys>.ctl.<node>.>`. */
export function controlWildcard(system: string, node: string): string {
  assertToken('system', system);
  assertToken('node', node);
  return `${ROOT}.${system}.${LIT.control}.${node}.>`;
}

/** Every node's heartbeat: `troupe.<sys>.hb.*`. */
export function heartbeatWildcard(system: string): string {
  assertToken('system', system);
  return fmt.heartbeat(system, '*');
}

/** Every event of a system (`troupe.<sys>.evt.>`), or of one node (`….evt.<node>.>`). */
export function eventWildcard(system: string, node?: string): string {
  assertToken('system', system);
  if (node === undefined) return `${ROOT}.${system}.${LIT.event}.>`;
  assertToken('node', node);
  return `${ROOT}.${system}.${LIT.event}.${node}.>`;
}

/** One event kind from every node: `troupe.<sys>.evt.*.<event>` (e.g. `ledger`). */
export function eventKindWildcard(system: string, event: string): string {
  assertToken('system', system);
  assertToken('event', event);
  return fmt.event(system, '*', event);
}

/** What a system's audit stream captures (`troupe.<sys>.audit.>`), or one node's part of it. */
export function auditWildcard(system: string, node?: string): string {
  assertToken('system', system);
  if (node === undefined) return `${ROOT}.${system}.${LIT.audit}.>`;
  assertToken('node', node);
  return `${ROOT}.${system}.${LIT.audit}.${node}.>`;
}

/** Every room of a site: `troupe.<site>.room.*`. */
export function roomWildcard(site: string): string {
  assertToken('site', site);
  return fmt.room(site, '*');
}

/** A prefix to compare or slice a received subject by, without parsing it. */
export type SubjectPrefixKind = 'actor' | 'shard' | 'mesh' | 'event';

/**
 * `troupe.<sys>.a.`, `.t.`, `.mesh.`, `.evt.`: hot paths check a received subject against its
 * prefix in place instead of parsing it.
 */
export function subjectPrefix(kind: SubjectPrefixKind, system: string): string {
  assertToken('system', system);
  switch (kind) {
    case 'actor':
      return `${ROOT}.${system}.${LIT.actor}.`;
    case 'shard':
      return `${ROOT}.${system}.${LIT.shard}.`;
    case 'mesh':
      return `${ROOT}.${system}.${LIT.mesh}.`;
    case 'event':
      return `${ROOT}.${system}.${LIT.event}.`;
    default:
      throw new InvalidSubjectError(`unknown subject prefix ${JSON.stringify(kind)}`, 'kind');
  }
}
