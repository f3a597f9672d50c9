import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { ListenError } from './errors.ts';
import type { FileInviteBook } from './invites/index.ts';
import {
  HandshakeRateLimitedError,
  type Link,
  LinkListener,
  type LinkOptions,
} from './link/index.ts';
import { LinkFailure } from './link-failure.ts';
import {
  defaultAdvertise,
  formatEndpoint,
  parseEndpoint,
  type ResolvedBridgeOptions,
} from './options.ts';
import type { Roster } from './roster.ts';

/** What the acceptor needs from its bridge. */
export interface AcceptorHost {
  readonly log: Logger;
  readonly roster: Roster;
  /** Read at redemption time: the book is replaced when the site moves to another mesh. */
  readonly invites: FileInviteBook;
  linkOptions(): LinkOptions;
  /** The bridge is stopping: new sockets are destroyed. */
  readonly stopping: boolean;
  /** A handshake finished: the link is the bridge's. */
  adopt(link: Link, remote: string): void;
  /** A handshake failed (rate-limit refusals are only counted). */
  failed(failure: LinkFailure): void;
}

/**
 * The accepting side of a site: the TCP listener, the Noise handshakes of incoming sockets
 * (admission limits, invites redeemed by joiners) and the counts the status reports.
 */
export class Acceptor {
  listenAddress = '';
  advertise: string[] = [];
  readonly #host: AcceptorHost;
  readonly #o: ResolvedBridgeOptions;
  readonly #server: Server;
  readonly #handshaking = new Set<Socket>();
  #listener: LinkListener;
  #refused = 0;

  constructor(host: AcceptorHost, o: ResolvedBridgeOptions) {
    this.#host = host;
    this.#o = o;
    this.#listener = this.#makeListener();
    this.#server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
  }

  /** Sockets refused by the handshake rate limit. */
  get refused(): number {
    return this.#refused;
  }

  /** Handshakes in progress. */
  get halfOpen(): number {
    return this.#listener.halfOpen;
  }

  async listen(): Promise<void> {
    const { host, port } = parseEndpoint(this.#o.listen);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#server.once('error', reject);
        this.#server.listen(port, host, () => {
          this.#server.off('error', reject);
          resolve();
        });
      });
    } catch (cause) {
      throw new ListenError(
        `the mesh bridge cannot listen on ${this.#o.listen}: ${(cause as Error).message}`,
        { cause },
      );
    }
    this.#server.on('error', (err) => this.#host.log.error({ err }, 'mesh listener error'));
    const a = this.#server.address() as AddressInfo;
    this.listenAddress = formatEndpoint(a.address, a.port);
    this.advertise = this.#o.advertise ?? [defaultAdvertise(host, a.port)];
  }

  /** The site moved to another mesh: handshakes from now on use its new identity. */
  renew(): void {
    this.#listener = this.#makeListener();
  }

  #makeListener(): LinkListener {
    return new LinkListener({
      ...this.#host.linkOptions(),
      isMember: (k) => this.#host.roster.byKey(k) !== undefined,
      // Read at redemption time: the book is replaced when the site moves to another mesh.
      invites: { redeem: (r) => this.#host.invites.redeem(r) },
      maxHalfOpen: this.#o.maxHalfOpen,
      handshakesPerSecond: this.#o.handshakesPerSecond,
      handshakeBurst: this.#o.handshakeBurst,
      maxHalfOpenPerSource: this.#o.maxHalfOpenPerSource,
      isRosterSource: (address) => this.#rosterHosts().has(address),
    });
  }

  /** The hosts paired peers listen on: a connection from one of them gets the reserved room. */
  #rosterHosts(): Set<string> {
    const hosts = new Set<string>();
    for (const p of this.#host.roster.list()) {
      for (const e of p.endpoints) {
        try {
          const { host } = parseEndpoint(e);
          hosts.add(host);
          if (host === 'localhost') hosts.add('127.0.0.1').add('::1');
        } catch {
          // A malformed endpoint names no host.
        }
      }
    }
    return hosts;
  }

  #accept(socket: Socket): void {
    const remote = formatEndpoint(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    if (this.#host.stopping) {
      socket.destroy();
      return;
    }
    this.#handshaking.add(socket);
    socket.once('close', () => this.#handshaking.delete(socket));
    this.#listener.accept(socket).then(
      (link) => {
        this.#handshaking.delete(socket);
        this.#host.adopt(link, remote);
      },
      (error: Error) => {
        this.#handshaking.delete(socket);
        if (error instanceof HandshakeRateLimitedError) {
          this.#refused++;
          this.#host.log.debug(
            { remote, err: error.message },
            'connection refused by the rate limit',
          );
          return;
        }
        this.#host.failed(new LinkFailure('in', remote, null, error));
      },
    );
  }

  /** Stop listening and drop the handshakes in progress. */
  close(): void {
    this.#server.close();
    for (const s of this.#handshaking) s.destroy();
  }
}
