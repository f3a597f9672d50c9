import { TroupeError } from '../../runtime/index.ts';

/**
 * Errors of the bridge. Each has a stable `code`, so one raised inside the bridge actor reaches
 * a CLI or remote asker with the same code and message (as a RemoteError there).
 */
export abstract class BridgeError extends TroupeError {}

/** The bridge needs a NATS transport: it consumes `troupe.<sys>.mesh.>` on the broker. */
export class BridgeNeedsNatsError extends BridgeError.withCode('BridgeNeedsNats') {}

/** The site directory holds no identity, or an unreadable / too-open / malformed one. */
export class IdentityError extends BridgeError.withCode('IdentityError') {}

/** The roster file cannot be read or written, or a change would break it (a site name taken). */
export class RosterError extends BridgeError.withCode('RosterError') {}

/** No paired peer has this site name. */
export class UnknownPeerError extends BridgeError {
  readonly code = 'UnknownPeer';
  constructor(readonly site: string) {
    super(`no paired peer named ${JSON.stringify(site)}: see troupe mesh peers`, {
      detail: { site },
    });
  }
}

/** Joining through an invite failed: unreachable, refused, wrong key, or another mesh. */
export class JoinFailedError extends BridgeError.withCode('JoinFailed') {}

/** The TCP listener could not start (address in use, no such interface). */
export class ListenError extends BridgeError.withCode('ListenError') {}

/** A frame from a peer that is not valid bridge traffic; the link is closed. */
export class BridgeFrameError extends BridgeError.withCode('BridgeFrameError') {}

/** A room operation that cannot be done: unknown room, not its admin, not a member, no key yet. */
export class RoomOperationError extends BridgeError.withCode('RoomOperation') {}
