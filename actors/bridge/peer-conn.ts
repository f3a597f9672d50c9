import type { Logger } from 'pino';
import type { Invite } from '../../protocols/mesh/index.ts';
import { FrameTooLongError } from '../../protocols/mesh/index.ts';
import type { ReplyHandle } from '../../runtime/index.ts';
import type { Link } from './link/index.ts';

/** What `join` answers once the inviter's hello arrived. */
export interface JoinResult {
  site: string;
  fingerprint: string;
  endpoints: string[];
}

/** A join in progress on the joining side: the invite, and the CLI's ask waiting for it. */
export interface PendingJoin {
  readonly invite: Invite;
  readonly reply: ReplyHandle<JoinResult>;
}

/** Bytes queued on a link's socket beyond which frames are dropped (a peer that cannot keep up). */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

/**
 * One open link to a peer, from the handshake until it closes. It becomes a peer's link once
 * the bridge actor accepted its hello; the actor decides that, so it carries no other state.
 */
export class PeerConn {
  static #next = 0;
  readonly id = ++PeerConn.#next;
  /** The peer's static key, kept: the link wipes its session on close. */
  readonly remoteKey: Uint8Array;
  /** The site whose hello the actor accepted; null before. */
  site: string | null = null;
  /** Pairing in progress through this link (we are the joiner). */
  joining: PendingJoin | null;
  #pendingBytes = 0;
  #dropped = 0;

  constructor(
    readonly link: Link,
    /** We dialed (true) or accepted (false) this link. */
    readonly dialed: boolean,
    /** `host:port` we dialed, or the peer's address. */
    readonly remote: string,
    /** For a dial to a known peer: the site we meant to reach. */
    readonly expectedSite: string | null,
    joining: PendingJoin | null,
    private readonly log: Logger,
  ) {
    this.remoteKey = link.remoteStatic.slice();
    this.joining = joining;
  }

  /** Sends one frame, fire and forget: a closed link loses it, the close is reported elsewhere. */
  send(frame: Uint8Array): void {
    if (!this.link.isOpen) return;
    if (this.#pendingBytes > MAX_PENDING_BYTES) {
      if (this.#dropped++ % 1000 === 0) {
        this.log.warn(
          { site: this.site, dropped: this.#dropped },
          'peer link congested: frames dropped',
        );
      }
      return;
    }
    const n = frame.length;
    this.#pendingBytes += n;
    this.link.send(frame).then(
      () => {
        this.#pendingBytes -= n;
      },
      (err: unknown) => {
        this.#pendingBytes -= n;
        if (err instanceof FrameTooLongError) {
          this.log.warn({ site: this.site, bytes: n }, 'frame over the link size cap: dropped');
        }
      },
    );
  }
}
