import type { Logger } from 'pino';
import type { Invite } from '../../protocols/mesh/index.ts';
import { UnexpectedStaticKeyError } from '../../protocols/noise/index.ts';
import type { ReplyHandle, Timers } from '../../runtime/index.ts';
import { backoffDelay } from './backoff.ts';
import { JoinFailedError } from './errors.ts';
import { connectLink, JoinRejectedError, type Link, type LinkOptions } from './link/index.ts';
import { LinkFailure } from './link-failure.ts';
import { parseEndpoint, type ResolvedBridgeOptions } from './options.ts';
import type { JoinResult, PeerConn } from './peer-conn.ts';
import type { PeerTable } from './peer-table.ts';
import type { Roster } from './roster.ts';

/** What the dialer needs from its bridge. */
export interface DialerHost {
  readonly log: Logger;
  readonly roster: Roster;
  readonly peers: PeerTable;
  readonly stopping: boolean;
  linkOptions(): LinkOptions;
  /** A dial's handshake finished: the link is the bridge's. */
  adopt(
    link: Link,
    remote: string,
    expectedSite: string | null,
    joining: PeerConn['joining'],
  ): void;
  /** A dial failed; the bridge actor decides what follows. */
  failed(failure: LinkFailure): void;
}

/**
 * The dialing side of a site: links to the peers it dials (one endpoint after another, with
 * backoff between attempts, timers named `dial:<site>`) and the dial of an inviter to join.
 */
export class Dialer {
  readonly #host: DialerHost;
  readonly #reconnect: ResolvedBridgeOptions['reconnect'];
  readonly #dialing = new Set<string>();
  readonly #attempts = new Map<string, number>();

  constructor(host: DialerHost, reconnect: ResolvedBridgeOptions['reconnect']) {
    this.#host = host;
    this.#reconnect = reconnect;
  }

  /** A backoff timer fired (or the actor started): dial `site` unless a link is up or dialing. */
  redial(site: string, timers: Timers): void {
    const host = this.#host;
    if (host.stopping || host.peers.has(site) || this.#dialing.has(site)) return;
    const peer = host.roster.bySite(site);
    if (!peer?.dial || peer.endpoints.length === 0) return;
    timers.cancel(`dial:${site}`);
    const attempt = this.#attempts.get(site) ?? 0;
    const endpoint = peer.endpoints[attempt % peer.endpoints.length]!;
    this.#dialing.add(site);
    let address: { host: string; port: number };
    try {
      address = parseEndpoint(endpoint);
    } catch (error) {
      this.#dialing.delete(site);
      host.failed(new LinkFailure('out', endpoint, site, error as Error));
      return;
    }
    connectLink(address, { ...host.linkOptions(), expectedRemote: peer.publicKey }).then(
      (link) => {
        this.#dialing.delete(site);
        host.adopt(link, endpoint, site, null);
      },
      (error: Error) => {
        this.#dialing.delete(site);
        host.failed(new LinkFailure('out', endpoint, site, error));
      },
    );
  }

  /** The link to `site` went down or did not open: dial again after the backoff, if we dial. */
  schedule(site: string, timers: Timers): void {
    const host = this.#host;
    if (host.stopping || host.peers.has(site) || this.#dialing.has(site)) return;
    const peer = host.roster.bySite(site);
    if (!peer?.dial) return;
    const attempt = this.#attempts.get(site) ?? 0;
    this.#attempts.set(site, attempt + 1);
    const delay = backoffDelay(attempt, this.#reconnect);
    host.log.debug({ site, attempt, delay }, 'redial scheduled');
    timers.once(`dial:${site}`, delay, 'redial', { site });
  }

  /** A link to `site` is up, or the site is unpaired: no dial pending, the backoff starts over. */
  settle(site: string, timers: Timers): void {
    timers.cancel(`dial:${site}`);
    this.#attempts.delete(site);
  }

  /** join: dial the inviter's endpoints in turn; the reply waits for the inviter's hello. */
  async dialInviter(invite: Invite, reply: ReplyHandle<JoinResult>): Promise<void> {
    let last: Error | null = null;
    for (const endpoint of invite.endpoints) {
      let address: { host: string; port: number };
      try {
        address = parseEndpoint(endpoint);
      } catch (err) {
        last = err as Error;
        continue;
      }
      try {
        const link = await connectLink(address, { ...this.#host.linkOptions(), invite });
        this.#host.adopt(link, endpoint, null, { invite, reply });
        return;
      } catch (err) {
        last = err as Error;
        this.#host.log.info({ endpoint, err: last.message }, 'join: dial failed');
        if (err instanceof JoinRejectedError || err instanceof UnexpectedStaticKeyError) break;
      }
    }
    const why =
      last instanceof JoinRejectedError
        ? 'the inviter rejected the invite (expired, already used or revoked): ask for a new one'
        : last instanceof UnexpectedStaticKeyError
          ? 'the server at the invite endpoint is not the inviter (its key differs from the token)'
          : `cannot reach the inviter at ${invite.endpoints.join(', ')}: ${last?.message ?? 'no endpoint'}`;
    reply.fail(new JoinFailedError(why, { cause: last }));
  }
}
