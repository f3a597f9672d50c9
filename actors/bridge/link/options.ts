import type { CryptoBackend, KeyPair } from '../../../protocols/crypto/index.ts';
import type {
  HandshakeInjection,
  Invite,
  InviteRecord,
  RedeemRequest,
} from '../../../protocols/mesh/index.ts';

/** Settings shared by both ends. Times in milliseconds; 0 turns a timer off. */
export interface LinkOptions {
  meshId: Uint8Array;
  /** Our long-term X25519 key pair (the node identity). */
  staticKey: KeyPair;
  /** Default: node:crypto. */
  backend?: CryptoBackend;
  /** The whole handshake, join included, must finish in this time. Default 10 000. */
  handshakeTimeoutMs?: number;
  /** A frame whose first byte arrived must be complete within this time. Default 10 000. */
  frameTimeoutMs?: number;
  /** Close when nothing arrives for this long. Default 0 (off: the bridge pings if it wants). */
  idleTimeoutMs?: number;
  /** Largest application frame, sent or received (reassembly cap). Default 16 MiB. */
  maxFrameBytes?: number;
  /** Rekey our sending direction after this many records. Default 2^20. */
  rekeyAfterMessages?: number;
  /** …or after this many sealed bytes. Default 1 GiB. */
  rekeyAfterBytes?: number;
  /** …or this often. Default 600 000 (10 min). */
  rekeyIntervalMs?: number;
  /** Re-handshake this often (the dialer drives it). Default 3 600 000 (1 h). */
  rehandshakeIntervalMs?: number;
  /** Re-handshake after this many records under one handshake. Default 2^32. */
  rehandshakeAfterMessages?: number;
  /**
   * Receive callback. When set, frames go here and the async iterator stays empty; when not,
   * read them with `for await (const frame of link)`.
   */
  onFrame?: (frame: Uint8Array) => void;
  /** Frames queued for the iterator before the socket is paused. Default 64. */
  highWaterFrames?: number;
  /** After close(), how long to wait for the peer to end the stream before destroying it. Default 2000. */
  closeLingerMs?: number;
  /** Fixed handshake randomness, for tests only. */
  inject?: HandshakeInjection;
}

export interface DialOptions extends LinkOptions {
  /**
   * The responder's pinned static key, or a predicate. Checked after message 2; on a mismatch
   * message 3 is never written. Optional only with `invite` (then the inviter's key is pinned).
   */
  expectedRemote?: Uint8Array | ((remoteStatic: Uint8Array) => boolean);
  /** Join the mesh with this invite (decoded, or the `mesh1.` token). */
  invite?: Invite | string;
}

/** Redeems invites on the listening side (InviteBook, or the file-backed book in actors/bridge/invites). */
export interface InviteRedeemer {
  redeem(request: RedeemRequest): InviteRecord | Promise<InviteRecord>;
}

export interface AcceptOptions extends LinkOptions {
  /** The roster: true for a member. Unknown keys are refused unless `invites` is set. */
  isMember: (remoteStatic: Uint8Array) => boolean;
  /** Lets unknown keys in if, as their first record, they prove an invite from this book. */
  invites?: InviteRedeemer;
  /** Called after a successful redemption and before the joiner is told: add the key to the roster here. */
  onJoin?: (remoteStatic: Uint8Array, invite: InviteRecord) => void | Promise<void>;
  /** The inviter's clock for invite expiry. Default Date.now. */
  now?: () => number;
}

export const LINK_DEFAULTS = {
  handshakeTimeoutMs: 10_000,
  frameTimeoutMs: 10_000,
  idleTimeoutMs: 0,
  rekeyIntervalMs: 600_000,
  rehandshakeIntervalMs: 3_600_000,
  highWaterFrames: 64,
  closeLingerMs: 2_000,
} as const;
