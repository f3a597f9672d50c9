import { NamedError } from '../named-error.ts';

/** Base of every error the mesh protocols throw. */
export class MeshError extends NamedError {}

/** A Noise message that cannot be framed: over 65535 bytes. */
export class FrameTooLargeError extends MeshError {}

/** A transport frame too short to be a sealed record (< 17 bytes: type byte + 16-byte tag). */
export class FrameTooSmallError extends MeshError {}

/**
 * A transport record failed authentication: tampering, replay, reordering, duplication, reflection
 * or truncation. Fatal: the session is poisoned and the link must close.
 */
export class TransportDecryptError extends MeshError {}

/** A fragmented application frame grew past the reassembly cap. */
export class ReassemblyLimitError extends MeshError {
  constructor(
    message: string,
    readonly limit: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An application frame larger than this side's cap was offered for sending. */
export class FrameTooLongError extends MeshError {}

/** The peer broke the mesh protocol: unknown record type, a record not allowed now, a bad body. */
export class ProtocolViolationError extends MeshError {}

/** The session was closed (by us or the peer); nothing more can be sent or received. */
export class SessionClosedError extends MeshError {}

/** A local call the session's state does not allow (e.g. sending while a join awaits acceptance). */
export class SessionStateError extends MeshError {}

/** An earlier error poisoned the session; `cause` is that error. Start a new handshake. */
export class SessionPoisonedError extends MeshError {}

/** An invite token that is not well formed: wrong prefix, bad base64url, checksum, version or lengths. */
export class InviteFormatError extends MeshError {}

export type InviteRejection = 'unknown' | 'expired' | 'used' | 'bad-proof';

/**
 * The inviter refused a redemption. `reason` stays local (audit log); the joiner only learns that
 * the invite was rejected, so probing cannot tell an unknown invite from a spent one.
 */
export class InviteRejectedError extends MeshError {
  constructor(
    message: string,
    readonly reason: InviteRejection,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Base of room errors. */
export class RoomError extends MeshError {}

/** A room key update that must not be applied: not from the admin, an old epoch, malformed. */
export class RoomKeyUpdateError extends RoomError {}

/** A room message for an epoch we hold no key for (a removed member sees this for later epochs). */
export class RoomEpochError extends RoomError {}

/** A room message that failed authentication or names a sender outside the epoch's roster. */
export class RoomMessageError extends RoomError {}

/** A room message already seen (or too old for the replay window): dropped. */
export class RoomReplayError extends RoomError {}
