/**
 * Every troupe subject, as data. Each kind has one builder, one row in the subject table, and
 * `parseSubject` gives the same value back: `parseSubject(buildSubject(s))` deep-equals `s`.
 * Paths are actor paths as troupe writes them (`team/coder`); on the wire each segment is a
 * token (`team.coder`).
 */
export type Subject =
  /** `troupe.<sys>.a.<path…>`: one actor instance. */
  | { readonly kind: 'actor'; readonly system: string; readonly path: string }
  /** `troupe.<sys>.t.<type>`: any instance of a sharded type (queue group `<type>`). */
  | { readonly kind: 'shard'; readonly system: string; readonly type: string }
  /** `troupe.<sys>.mesh.<site>.a.<path…>`: an actor on another site, via the local bridge. */
  | {
      readonly kind: 'meshActor';
      readonly system: string;
      readonly site: string;
      readonly path: string;
    }
  /** `troupe.<sys>.mesh.<site>.t.<type>`: a sharded type on another site. */
  | {
      readonly kind: 'meshShard';
      readonly system: string;
      readonly site: string;
      readonly type: string;
    }
  /** `troupe.<sys>.ctl.<node>.<verb>`: the control plane of one node. */
  | {
      readonly kind: 'control';
      readonly system: string;
      readonly node: string;
      readonly verb: string;
    }
  /** `troupe.<sys>.ctl.any.spawn.<type>`: spawn on any node hosting the type. */
  | { readonly kind: 'anySpawn'; readonly system: string; readonly type: string }
  /** `troupe.<sys>.ctl.all.tree`: every node answers with its rows of the tree. */
  | { readonly kind: 'tree'; readonly system: string }
  /** `troupe.<sys>.hb.<node>`: a node's heartbeat. */
  | { readonly kind: 'heartbeat'; readonly system: string; readonly node: string }
  /** `troupe.<sys>.evt.<node>.<event>`: lifecycle, inspection, ledger, log and alert events. */
  | {
      readonly kind: 'event';
      readonly system: string;
      readonly node: string;
      readonly event: string;
    }
  /** `troupe.<sys>.audit.<node>.<path…>`: one actor's audit events. */
  | {
      readonly kind: 'audit';
      readonly system: string;
      readonly node: string;
      readonly path: string;
    }
  /** `troupe.<site>.room.<room>`: opened messages of a mesh room on this site. */
  | { readonly kind: 'room'; readonly site: string; readonly room: string };

export type SubjectKind = Subject['kind'];
