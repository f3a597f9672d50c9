import {
  isToken as isSubjectToken,
  meshActorSubject,
  meshShardSubject,
  meshWildcard,
  actorSubject as subjectOfActor,
  shardSubject as subjectOfShard,
} from '../protocols/subjects/index.ts';
import { InvalidArgument } from './errors.ts';
import type { Protocol } from './protocol.ts';
import { SubjectMemo } from './subject-memo.ts';

/**
 * The address of one actor instance. Plain data: it can be logged, stored, sent inside a
 * message and compared. `P` is a phantom: it types tell/ask and never exists at run time.
 */
export interface ActorRef<P extends Protocol = Protocol> {
  readonly system: string;
  readonly path: string;
  readonly __protocol?: P;
}

/** The address of any instance of a sharded type (a NATS queue group). */
export interface ShardRef<P extends Protocol = Protocol> {
  readonly system: string;
  readonly shard: string;
  readonly __protocol?: P;
}

export type Ref<P extends Protocol = Protocol> = ActorRef<P> | ShardRef<P>;

/** A subject token (protocols/subjects says what one is): names, types and path segments. */
export function isToken(s: string): boolean {
  return isSubjectToken(s);
}

export function assertToken(what: string, s: unknown): asserts s is string {
  if (!isSubjectToken(s)) {
    throw new InvalidArgument(
      `${what} must be 1-128 characters of A-Z a-z 0-9 _ - (got ${JSON.stringify(s)})`,
    );
  }
}

/** Validate an actor path like `team/coder` and return its segments. */
export function pathSegments(path: unknown): string[] {
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidArgument(
      `actor path must be a non-empty string (got ${JSON.stringify(path)})`,
    );
  }
  const segs = path.split('/');
  for (const s of segs) assertToken(`path segment of ${JSON.stringify(path)}`, s);
  return segs;
}

export function actorRef<P extends Protocol = Protocol>(system: string, path: string): ActorRef<P> {
  assertToken('system name', system);
  pathSegments(path);
  return { system, path };
}

export function shardRef<P extends Protocol = Protocol>(system: string, type: string): ShardRef<P> {
  assertToken('system name', system);
  assertToken('shard type', type);
  return { system, shard: type };
}

export function isShardRef(r: Ref): r is ShardRef {
  return (r as ShardRef).shard !== undefined;
}

/** A ref's target as the envelope's `to` field: the path, or `@type` for a shard. */
export function targetOf(r: Ref): string {
  return isShardRef(r) ? `@${r.shard}` : r.path;
}

/** Check that something received from outside is a well-formed ref. */
export function parseRef(value: unknown): Ref {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgument(`expected an actor ref, got ${JSON.stringify(value)}`);
  }
  const v = value as Record<string, unknown>;
  if (typeof v.shard === 'string') return shardRef(String(v.system), v.shard);
  return actorRef(String(v.system), String(v.path));
}

/** Mesh subjects by local system, remote system, then path: lookups, no key to build. */
const meshSubjects = new Map<string, Map<string, Map<string, string>>>();
/** Remote refs already validated, by system then path: two lookups, no key to build. */
const checkedRemote = new Map<string, Set<string>>();
let checkedCount = 0;

/**
 * parseRef for a ref of another system, remembered: cross-site traffic names the same few refs
 * over and over, and validating each send cost about 7% of a cross-site tell.
 */
export function checkRemoteRef(r: Ref): void {
  const { system } = r;
  const path = (r as ActorRef).path;
  if (typeof system === 'string' && typeof path === 'string') {
    if (checkedRemote.get(system)?.has(path)) return;
    parseRef(r);
    if (checkedCount++ > 50_000) {
      checkedRemote.clear();
      checkedCount = 0;
    }
    let paths = checkedRemote.get(system);
    if (paths === undefined) checkedRemote.set(system, (paths = new Set()));
    paths.add(path);
    return;
  }
  parseRef(r);
}

const actorSubjects = new SubjectMemo(subjectOfActor, 50_000);
const shardSubjects = new SubjectMemo(subjectOfShard, 10_000);

export function actorSubject(system: string, path: string): string {
  return actorSubjects.get(system, path);
}

export function shardSubject(system: string, type: string): string {
  return shardSubjects.get(system, type);
}

/**
 * Where a message for `to` is published by a node of system `local`: the target's own
 * subject in the same system, else the mesh subject the local bridge consumes and carries
 * to the site that runs `to.system` (`troupe.<local>.mesh.<site>.a.<path…>` or `.t.<type>`).
 */
export function routeSubject(local: string, to: Ref): string {
  if (to.system === local) {
    return isShardRef(to) ? shardSubject(local, to.shard) : actorSubject(local, to.path);
  }
  if (isShardRef(to)) return meshShardSubject(local, to.system, to.shard);
  let sites = meshSubjects.get(local);
  if (sites === undefined) meshSubjects.set(local, (sites = new Map()));
  let paths = sites.get(to.system);
  if (paths === undefined) sites.set(to.system, (paths = new Map()));
  let s = paths.get(to.path);
  if (s === undefined) {
    s = meshActorSubject(local, to.system, to.path);
    // Bounded: a process that talks to millions of remote paths just recomputes.
    if (paths.size > 50_000) paths.clear();
    paths.set(to.path, s);
  }
  return s;
}

/** The wildcard a bridge subscribes to for traffic bound to `site`. */
export function meshSubject(local: string, site: string): string {
  return meshWildcard(local, site);
}

/**
 * The `from` of a message that leaves its system names the system too (`site:path`), so the
 * receiver's ctx.sender is a ref it can answer. Paths cannot contain `:`.
 */
export function qualifiedFrom(system: string, path: string): string {
  return `${system}:${path}`;
}

export function senderRef(localSystem: string, from: string): ActorRef {
  const i = from.indexOf(':');
  return i < 0
    ? { system: localSystem, path: from }
    : { system: from.slice(0, i), path: from.slice(i + 1) };
}
