/**
 * The shape of each subject kind, written once. Builders validate and then format; the subject
 * table formats the same shapes with placeholders (`<sys>`), so the docs cannot drift from the
 * wire. Internal to this folder: callers use the validating builders.
 */
export const ROOT = 'troupe';

/** The literal tokens, shared with the parser. */
export const LIT = {
  actor: 'a',
  shard: 't',
  mesh: 'mesh',
  control: 'ctl',
  any: 'any',
  spawn: 'spawn',
  all: 'all',
  tree: 'tree',
  heartbeat: 'hb',
  event: 'evt',
  audit: 'audit',
  room: 'room',
  /** Last token of an ask batch's reply subject is `b<seq>`; answers come back on `r`. */
  batch: 'b',
  replies: 'r',
} as const;

/** Node names that would make `ctl.<node>.<verb>` read as `ctl.any.spawn…` or `ctl.all.tree`. */
export const RESERVED_NODES: readonly string[] = [LIT.any, LIT.all];

export const fmt = {
  actor: (sys: string, path: string) => `${ROOT}.${sys}.${LIT.actor}.${path}`,
  shard: (sys: string, type: string) => `${ROOT}.${sys}.${LIT.shard}.${type}`,
  mesh: (sys: string, site: string) => `${ROOT}.${sys}.${LIT.mesh}.${site}`,
  meshActor: (sys: string, site: string, path: string) =>
    `${fmt.mesh(sys, site)}.${LIT.actor}.${path}`,
  meshShard: (sys: string, site: string, type: string) =>
    `${fmt.mesh(sys, site)}.${LIT.shard}.${type}`,
  control: (sys: string, node: string, verb: string) =>
    `${ROOT}.${sys}.${LIT.control}.${node}.${verb}`,
  anySpawn: (sys: string, type: string) =>
    `${ROOT}.${sys}.${LIT.control}.${LIT.any}.${LIT.spawn}.${type}`,
  tree: (sys: string) => `${ROOT}.${sys}.${LIT.control}.${LIT.all}.${LIT.tree}`,
  heartbeat: (sys: string, node: string) => `${ROOT}.${sys}.${LIT.heartbeat}.${node}`,
  event: (sys: string, node: string, event: string) =>
    `${ROOT}.${sys}.${LIT.event}.${node}.${event}`,
  audit: (sys: string, node: string, path: string) => `${ROOT}.${sys}.${LIT.audit}.${node}.${path}`,
  room: (site: string, room: string) => `${ROOT}.${site}.${LIT.room}.${room}`,
  askBatchReply: (inbox: string, seq: string) => `${inbox}.${LIT.batch}${seq}`,
  replies: (inbox: string) => `${inbox}.${LIT.replies}`,
  inbox: (prefix: string, node: string) => `${prefix}.${node}`,
} as const;
