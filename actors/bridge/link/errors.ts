import { NamedError } from '../../../protocols/named-error.ts';

/** Base of the errors a live link adds on top of the protocol's (which come through unchanged). */
export class LinkError extends NamedError {}

/** The handshake (and join, if any) did not finish within `handshakeTimeoutMs`. */
export class HandshakeTimeoutError extends LinkError {}

/** A frame started arriving but did not finish within `frameTimeoutMs` (slow trickle). */
export class FrameTimeoutError extends LinkError {}

/** Nothing arrived for `idleTimeoutMs`. */
export class IdleTimeoutError extends LinkError {}

/** The peer ended the stream without an authenticated close record: treat as truncation. */
export class UnexpectedEofError extends LinkError {}

/** The socket failed underneath (reset, EPIPE…); `cause` is the socket's error. */
export class LinkSocketError extends LinkError {}

/** The listener refused a connection: too many half-open handshakes or too many per second. */
export class HandshakeRateLimitedError extends LinkError {}

/** The link is closed (or closing); `cause` is the error that closed it, if one did. */
export class LinkClosedError extends LinkError {}

/** Joiner side: the inviter refused the invite (expired, used, unknown or a bad proof: it does not say which). */
export class JoinRejectedError extends LinkError {}

/** The peer closed with an authenticated close record before the link opened. */
export class PeerClosedError extends LinkError {
  constructor(
    message: string,
    readonly code: number,
    readonly reason: string,
  ) {
    super(message);
  }
}
