/** Base of every error the mesh protocols throw. */
export class MeshError extends Error {
  override readonly name: string = 'MeshError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A Noise message that cannot be framed: over 65535 bytes. */
export class FrameTooLargeError extends MeshError {
  override readonly name: string = 'FrameTooLargeError';
}

/** A transport frame too short to be a sealed record (< 17 bytes: type byte + 16-byte tag). */
export class FrameTooSmallError extends MeshError {
  override readonly name: string = 'FrameTooSmallError';
}

/**
 * A transport record failed authentication: tampering, replay, reordering, duplication, reflection
 * or truncation. Fatal: the session is poisoned and the link must close.
 */
export class TransportDecryptError extends MeshError {
  override readonly name: string = 'TransportDecryptError';
}

/** A fragmented application frame grew past the reassembly cap. */
export class ReassemblyLimitError extends MeshError {
  override readonly name: string = 'ReassemblyLimitError';
  constructor(
    message: string,
    readonly limit: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An application frame larger than this side's cap was offered for sending. */
export class FrameTooLongError extends MeshError {
  override readonly name: string = 'FrameTooLongError';
}

/** The peer broke the mesh protocol: unknown record type, a record not allowed now, a bad body. */
export class ProtocolViolationError extends MeshError {
  override readonly name: string = 'ProtocolViolationError';
}

/** The session was closed (by us or the peer); nothing more can be sent or received. */
export class SessionClosedError extends MeshError {
  override readonly name: string = 'SessionClosedError';
}

/** A local call the session's state does not allow (e.g. sending while a join awaits acceptance). */
export class SessionStateError extends MeshError {
  override readonly name: string = 'SessionStateError';
}

/** An earlier error poisoned the session; `cause` is that error. Start a new handshake. */
export class SessionPoisonedError extends MeshError {
  override readonly name: string = 'SessionPoisonedError';
}

/** An invite token that is not well formed: wrong prefix, bad base64url, checksum, version or lengths. */
export class InviteFormatError extends MeshError {
  override readonly name: string = 'InviteFormatError';
}

export type InviteRejection = 'unknown' | 'expired' | 'used' | 'bad-proof';

/**
 * The inviter refused a redemption. `reason` stays local (audit log); the joiner only learns that
 * the invite was rejected, so probing cannot tell an unknown invite from a spent one.
 */
export class InviteRejectedError extends MeshError {
  override readonly name: string = 'InviteRejectedError';
  constructor(
    message: string,
    readonly reason: InviteRejection,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Base of room errors. */
export class RoomError extends MeshError {
  override readonly name: string = 'RoomError';
}

/** A room key update that must not be applied: not from the admin, an old epoch, malformed. */
export class RoomKeyUpdateError extends RoomError {
  override readonly name: string = 'RoomKeyUpdateError';
}

/** A room message for an epoch we hold no key for (a removed member sees this for later epochs). */
export class RoomEpochError extends RoomError {
  override readonly name: string = 'RoomEpochError';
}

/** A room message that failed authentication or names a sender outside the epoch's roster. */
export class RoomMessageError extends RoomError {
  override readonly name: string = 'RoomMessageError';
}

/** A room message already seen (or too old for the replay window): dropped. */
export class RoomReplayError extends RoomError {
  override readonly name: string = 'RoomReplayError';
}
