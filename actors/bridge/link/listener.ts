import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { acceptLink } from './accept.ts';
import { HandshakeRateLimitedError } from './errors.ts';
import type { Link } from './link.ts';
import type { AcceptOptions } from './options.ts';
import { TokenBucket } from './token-bucket.ts';

export interface ListenerOptions extends AcceptOptions {
  /** Handshakes in progress at once; more are refused. Default 64. */
  maxHalfOpen?: number;
  /** New handshakes per second, sustained. Default 50 (each costs the responder ~4 ms of CPU). */
  handshakesPerSecond?: number;
  /** Burst allowance. Default 100. */
  handshakeBurst?: number;
  /** Clock for the token bucket (ms). */
  clock?: () => number;
  /** Handshakes in progress at once from one source address. Default 8. */
  maxHalfOpenPerSource?: number;
  /**
   * Whether a source address belongs to a paired peer (its roster endpoints). Such sources
   * may use the last `reservedForRoster` half-open slots and skip the rate bucket, so a flood
   * of idle sockets from elsewhere cannot keep a paired site out.
   */
  isRosterSource?: (address: string) => boolean;
  /** Half-open slots kept for roster sources. Default min(8, maxHalfOpen / 4). */
  reservedForRoster?: number;
}

/** The peer address of a socket, IPv4-mapped IPv6 unwrapped; null for non-network streams. */
function sourceOf(socket: Duplex): string | null {
  const a = (socket as Partial<Socket>).remoteAddress;
  if (typeof a !== 'string' || a.length === 0) return null;
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/**
 * The listening side's gate: at most `maxHalfOpen` handshakes at once and a token bucket on new
 * ones, so a flood of message 1 costs the node bounded CPU and memory.
 */
export class LinkListener {
  readonly #options: ListenerOptions;
  readonly #bucket: TokenBucket;
  readonly #maxHalfOpen: number;
  readonly #maxPerSource: number;
  readonly #reserved: number;
  readonly #perSource = new Map<string, number>();
  #halfOpen = 0;
  #refused = 0;

  constructor(options: ListenerOptions) {
    this.#options = options;
    this.#maxHalfOpen = options.maxHalfOpen ?? 64;
    this.#maxPerSource = options.maxHalfOpenPerSource ?? 8;
    this.#reserved =
      options.isRosterSource === undefined
        ? 0
        : Math.min(
            options.reservedForRoster ?? Math.min(8, Math.floor(this.#maxHalfOpen / 4)),
            this.#maxHalfOpen - 1,
          );
    this.#bucket = new TokenBucket(
      options.handshakesPerSecond ?? 50,
      options.handshakeBurst ?? 100,
      options.clock,
    );
  }

  /** Handshakes now in progress. */
  get halfOpen(): number {
    return this.#halfOpen;
  }

  /** Connections refused so far by the limits. */
  get refused(): number {
    return this.#refused;
  }

  /** Accepts one connection, or refuses it at once (socket destroyed) when over the limits. */
  accept(socket: Duplex): Promise<Link> {
    const source = sourceOf(socket);
    let roster = false;
    try {
      roster = source !== null && this.#options.isRosterSource?.(source) === true;
    } catch {
      roster = false;
    }
    const why = this.#refusal(source, roster);
    if (why !== null) {
      this.#refused++;
      socket.destroy();
      return Promise.reject(new HandshakeRateLimitedError(`refused a connection: ${why}`));
    }
    this.#halfOpen++;
    if (source !== null) this.#perSource.set(source, (this.#perSource.get(source) ?? 0) + 1);
    const done = () => {
      this.#halfOpen--;
      if (source !== null) {
        const n = (this.#perSource.get(source) ?? 1) - 1;
        if (n <= 0) this.#perSource.delete(source);
        else this.#perSource.set(source, n);
      }
    };
    const p = acceptLink(socket, this.#options);
    p.then(done, done);
    return p;
  }

  /** Why a new connection is refused, or null to take it. */
  #refusal(source: string | null, roster: boolean): string | null {
    const slots = roster ? this.#maxHalfOpen : this.#maxHalfOpen - this.#reserved;
    if (this.#halfOpen >= slots) {
      return roster || this.#reserved === 0
        ? `${this.#halfOpen} handshakes already in progress (maxHalfOpen)`
        : `${this.#halfOpen} handshakes already in progress (maxHalfOpen, less ${this.#reserved} kept for paired peers)`;
    }
    if (source !== null && (this.#perSource.get(source) ?? 0) >= this.#maxPerSource) {
      return `${this.#maxPerSource} handshakes already in progress from ${source} (maxHalfOpenPerSource)`;
    }
    // Paired peers' addresses skip the bucket: a flood must not spend their redials' tokens.
    if (!roster && !this.#bucket.take()) return 'handshake rate over handshakesPerSecond';
    return null;
  }
}

/**
 * A TCP server whose every connection goes through a LinkListener. Links that open go to
 * `onLink`; refusals and failed handshakes to `onError` (log them; they are expected noise).
 */
export function createLinkServer(
  options: ListenerOptions & {
    onLink: (link: Link) => void;
    onError?: (error: Error, socket: Socket) => void;
  },
): { server: Server; listener: LinkListener } {
  const listener = new LinkListener(options);
  const server = createServer({ noDelay: true }, (socket) => {
    listener
      .accept(socket)
      .then(options.onLink, (error: Error) => options.onError?.(error, socket));
  });
  return { server, listener };
}
