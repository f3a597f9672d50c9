// The mesh bridge: one actor per site that carries `troupe.<site>.mesh.<peer>.>` to other sites
// over encrypted links. The link, invite store and protocols have their own public faces
// (./link, ./invites, protocols/mesh).

export { writeFileAtomic } from './atomic-file.ts';
export { type BackoffOptions, backoffDelay } from './backoff.ts';
export { MAX_HOPS, type PendingRequest, type WalkedBatch, walkBatch } from './batch.ts';
export { BridgeActor, type BridgeHandle, type BridgeProtocol, startBridge } from './bridge.ts';
export {
  BridgeError,
  BridgeFrameError,
  BridgeNeedsNatsError,
  IdentityError,
  JoinFailedError,
  ListenError,
  RoomOperationError,
  RosterError,
  UnknownPeerError,
} from './errors.ts';
export {
  BRIDGE_CLOSE_BAD_FRAME,
  BRIDGE_PROTOCOL_VERSION,
  type BridgeFrame,
  decodeFrame,
  encodeFrame,
} from './frames.ts';
export {
  adoptMesh,
  DEFAULT_MESH_DIR,
  fingerprint,
  initIdentity,
  loadIdentity,
  meshDir,
  type SiteIdentity,
} from './identity.ts';
export {
  BRIDGE_PATH,
  type BridgeOptions,
  DEFAULT_LISTEN,
  parseBridgeOptions,
  parseEndpoint,
} from './options.ts';
export type { BridgeStatus, PeerInfo } from './protocol.ts';
export type { RoomDelivery, RoomInfo } from './rooms.ts';
export { type Peer, Roster } from './roster.ts';
