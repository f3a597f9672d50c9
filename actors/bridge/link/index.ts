export { acceptLink } from './accept.ts';
export type { LinkCloseReason } from './close-reason.ts';
export { connectLink, dialLink } from './dial.ts';
export {
  FrameTimeoutError,
  HandshakeRateLimitedError,
  HandshakeTimeoutError,
  IdleTimeoutError,
  JoinRejectedError,
  LinkClosedError,
  LinkError,
  LinkSocketError,
  PeerClosedError,
  UnexpectedEofError,
} from './errors.ts';
export { Link } from './link.ts';
export { createLinkServer, LinkListener, type ListenerOptions } from './listener.ts';
export {
  type AcceptOptions,
  type DialOptions,
  type InviteRedeemer,
  LINK_DEFAULTS,
  type LinkOptions,
} from './options.ts';
export { TokenBucket } from './token-bucket.ts';
