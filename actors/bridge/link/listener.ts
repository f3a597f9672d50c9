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
}

/**
 * The listening side's gate: at most `maxHalfOpen` handshakes at once and a token bucket on new
 * ones, so a flood of message 1 costs the node bounded CPU and memory.
 */
export class LinkListener {
  readonly #options: ListenerOptions;
  readonly #bucket: TokenBucket;
  readonly #maxHalfOpen: number;
  #halfOpen = 0;
  #refused = 0;

  constructor(options: ListenerOptions) {
    this.#options = options;
    this.#maxHalfOpen = options.maxHalfOpen ?? 64;
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
    if (this.#halfOpen >= this.#maxHalfOpen || !this.#bucket.take()) {
      this.#refused++;
      socket.destroy();
      return Promise.reject(
        new HandshakeRateLimitedError(
          this.#halfOpen >= this.#maxHalfOpen
            ? `refused a connection: ${this.#halfOpen} handshakes already in progress (maxHalfOpen)`
            : 'refused a connection: handshake rate over handshakesPerSecond',
        ),
      );
    }
    this.#halfOpen++;
    const done = () => {
      this.#halfOpen--;
    };
    const p = acceptLink(socket, this.#options);
    p.then(done, done);
    return p;
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
