import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import {
  askBatchReplySubject,
  meshTailSubject,
  meshWildcard,
  repliesSubject,
  subjectPrefix,
} from '../../protocols/subjects/index.ts';
import { errorBatch, type PendingRequest, walkBatch } from './batch.ts';
import { encodeFrame } from './frames.ts';
import { ASK_BATCH_TTL_MS, ReplyRoutes } from './reply-routes.ts';

/** Where the forwarder hands a frame for one peer: its live link. */
export interface PeerOutlet {
  send(frame: Uint8Array): void;
}

interface Site {
  outlet: PeerOutlet | null;
  /** Frames waiting while the link is down, oldest first, bounded by `holdBytes`. */
  held: Uint8Array[];
  heldBytes: number;
  dropped: number;
}

export interface ForwarderOptions {
  /** This site's system name. */
  local: string;
  /** The bridge's own inbox (`<prefix>.<node>-mesh`): replies and no-responders statuses come here. */
  inbox: string;
  log: Logger;
  /** Bytes of frames held per peer while its link is down. */
  holdBytes: number;
  /**
   * Actor paths other sites may not reach: the bridge itself (it pairs and unpairs sites) and
   * the runtime's `sys/…`. Asks to them get NoSuchActor; tells are dropped.
   */
  privatePaths: readonly string[];
}

const TAIL = /^(a(\.[A-Za-z0-9_-]{1,128}){1,64}|t\.[A-Za-z0-9_-]{1,128})$/;
const LOG_EVERY_MS = 1_000;

/**
 * Carries NATS traffic between this site's broker and the links to other sites, re-encrypting
 * it on the way: a message leaves the local broker in the clear (or under the broker's TLS) and
 * is re-encrypted for the peer's Noise link (ChaCha20-Poly1305 under that link's keys, in
 * `Link.send`); a frame from a peer arrives decrypted by its link and is published locally.
 *
 * Out (`reencryptForPeer`): everything published on `troupe.<local>.mesh.<site>.<tail>` goes
 * to `<site>` as a `nats` frame carrying the tail and the batch as it is. An asker's reply subject never leaves the
 * site: it becomes a small route id, per peer, and replies come back to it by that id.
 *
 * In: a `nats` frame is checked envelope by envelope (hop counts raised, expired envelopes
 * dropped) and published on `troupe.<local>.<tail>`, with a reply subject under the bridge's
 * inbox when it held requests. The responder answers on `<inbox>.<route>.r`; that batch goes
 * back as a `reply` frame. A no-responders status on `<inbox>.<route>.b<seq>` becomes a batch
 * of NoSuchActor errors, so a missing remote actor fails as fast as a missing local one.
 */
export class Forwarder {
  readonly #nc: NatsConnection;
  readonly #o: ForwarderOptions;
  readonly #meshPrefix: string;
  readonly #sites = new Map<string, Site>();
  readonly #routes = new ReplyRoutes();
  #subs: Subscription[] = [];
  #sweeper: NodeJS.Timeout | null = null;
  readonly #lastLog = new Map<string, { at: number; suppressed: number }>();
  /** Counters for status and tests. */
  readonly stats = {
    out: 0,
    in: 0,
    replies: 0,
    noResponders: 0,
    expired: 0,
    dropped: 0,
    refused: 0,
    /** Exceptions caught in a NATS callback (each message dropped, the connection kept). */
    callbackErrors: 0,
  };

  readonly #private: string[];

  constructor(nc: NatsConnection, options: ForwarderOptions) {
    this.#nc = nc;
    this.#o = options;
    this.#meshPrefix = subjectPrefix('mesh', options.local);
    this.#private = options.privatePaths.map((p) => `a.${p.replaceAll('/', '.')}`);
  }

  #isPrivate(tail: string): boolean {
    for (const p of this.#private) {
      if (tail === p || (tail.startsWith(p) && tail.charCodeAt(p.length) === 46)) return true;
    }
    return false;
  }

  start(): void {
    if (this.#subs.length > 0) return;
    this.#subs = [
      // nats.js ends the connection's read loop when a callback throws: nothing escapes.
      this.#nc.subscribe(meshWildcard(this.#o.local), {
        callback: (e, m) => {
          try {
            this.#reencryptForPeer(e, m);
          } catch (err) {
            this.#callbackFailed(m, err);
          }
        },
      }),
      this.#nc.subscribe(`${this.#o.inbox}.>`, {
        callback: (e, m) => {
          try {
            this.#inbox(e, m);
          } catch (err) {
            this.#callbackFailed(m, err);
          }
        },
      }),
    ];
    this.#sweeper = setInterval(() => this.#routes.sweep(Date.now()), ASK_BATCH_TTL_MS);
    this.#sweeper.unref();
  }

  /** Subscriptions reach the broker. */
  async flush(): Promise<void> {
    if (!this.#nc.isClosed()) await this.#nc.flush();
  }

  stop(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
    if (!this.#nc.isClosed()) for (const s of this.#subs) s.unsubscribe();
    this.#subs = [];
  }

  /** A paired site: its traffic is held while no link is up. */
  addSite(site: string): void {
    if (!this.#sites.has(site))
      this.#sites.set(site, { outlet: null, held: [], heldBytes: 0, dropped: 0 });
  }

  /** An unpaired site: its traffic is refused (asks fail with NoSuchActor). */
  removeSite(site: string): void {
    this.#sites.delete(site);
  }

  /** The site's link is up: send what was held, in order, then go direct. */
  attach(site: string, outlet: PeerOutlet): void {
    this.addSite(site);
    const s = this.#sites.get(site)!;
    s.outlet = outlet;
    const held = s.held;
    s.held = [];
    s.heldBytes = 0;
    for (const f of held) outlet.send(f);
  }

  detach(site: string, outlet: PeerOutlet): void {
    const s = this.#sites.get(site);
    if (s && s.outlet === outlet) s.outlet = null;
  }

  heldFrames(site: string): number {
    return this.#sites.get(site)?.held.length ?? 0;
  }

  /** Sends a frame to a paired site now, or holds it until its link is up. False if unpaired. */
  send(site: string, frame: Uint8Array): boolean {
    const s = this.#sites.get(site);
    if (!s) return false;
    if (s.outlet) {
      s.outlet.send(frame);
      return true;
    }
    s.held.push(frame);
    s.heldBytes += frame.length;
    while (s.heldBytes > this.#o.holdBytes && s.held.length > 0) {
      s.heldBytes -= s.held.shift()!.length;
      s.dropped++;
      this.stats.dropped++;
    }
    if (s.dropped > 0) {
      this.#warn(
        `held:${site}`,
        { site, dropped: s.dropped },
        'link down and hold buffer full: oldest frames dropped',
      );
    }
    return true;
  }

  // ---- out: local NATS → link, re-encrypted for the peer -----------------------------------

  /**
   * The NATS → link path: one message published on `troupe.<local>.mesh.<site>.<tail>` becomes
   * a `nats` frame for `<site>`, handed to that site's link (held while it is down), which
   * re-encrypts it for the peer under the link's Noise session. Nothing is decrypted here: the
   * envelope batch travels as the local publisher wrote it.
   */
  #reencryptForPeer(err: Error | null, msg: Msg): void {
    if (err) {
      this.#o.log.error({ err }, 'mesh subscription error');
      return;
    }
    const rest = msg.subject.slice(this.#meshPrefix.length);
    const dot = rest.indexOf('.');
    const site = dot < 0 ? rest : rest.slice(0, dot);
    const tail = dot < 0 ? '' : rest.slice(dot + 1);
    if (!TAIL.test(tail) || msg.data.length === 0) {
      // A local publisher's mistake: never let it reach the peer (which would close the link).
      this.#warn('bad-subject', { subject: msg.subject }, 'not a mesh message: dropped');
      return;
    }
    const s = this.#sites.get(site);
    if (!s) {
      this.#refuseUnknownSite(site, msg);
      return;
    }
    const r = msg.reply ? this.#routes.askerRoute(site, msg.reply) : null;
    this.stats.out++;
    this.send(site, encodeFrame({ t: 'nats', s: tail, r, d: msg.data }));
  }

  /** Asks to a site we are not paired with fail at once, as for a missing local actor. */
  #refuseUnknownSite(site: string, msg: Msg): void {
    this.#warn(`unknown:${site}`, { site }, 'message for a site that is not a peer: refused');
    if (!msg.reply) return;
    let requests: PendingRequest[];
    try {
      requests = walkBatch(msg.data.slice(), { now: Date.now(), collectRequests: true }).requests;
    } catch {
      return;
    }
    if (requests.length === 0) return;
    const inbox = msg.reply.slice(0, msg.reply.lastIndexOf('.'));
    this.#publish(
      repliesSubject(inbox),
      errorBatch(requests, (q) =>
        noSuchActor(site, q.to, `site ${site} is not a peer of ${this.#o.local}`),
      ),
      undefined,
    );
  }

  // ---- in: link → local NATS ---------------------------------------------------------------

  /** A `nats` frame from `site`. */
  inboundNats(site: string, tail: string, route: number | null, data: Uint8Array): void {
    let walked: ReturnType<typeof walkBatch>;
    const now = Date.now();
    try {
      walked = walkBatch(data, { now, collectRequests: route !== null });
    } catch (err) {
      // The batch is the remote publisher's, not the peer bridge's: drop it, keep the link.
      this.#warn(
        `malformed:${site}`,
        { site, err },
        'malformed envelope batch from a peer: dropped',
      );
      return;
    }
    this.stats.in++;
    if (this.#isPrivate(tail)) {
      this.#warn(`private:${site}`, { site, tail }, 'a peer addressed a private actor: refused');
      this.stats.refused++;
      if (route !== null && walked.requests.length > 0) {
        this.send(
          site,
          encodeFrame({
            t: 'reply',
            r: route,
            d: errorBatch(walked.requests, (q) =>
              noSuchActor(this.#o.local, q.to, 'not reachable from other sites'),
            ),
          }),
        );
      }
      return;
    }
    if (walked.expired > 0) {
      this.stats.expired += walked.expired;
      this.#warn(
        `expired:${site}`,
        { site, count: walked.expired },
        'envelopes past their deadline dropped',
      );
    }
    if (walked.overHops.length > 0 && route !== null) {
      this.send(
        site,
        encodeFrame({
          t: 'reply',
          r: route,
          d: errorBatch(walked.overHops, (q) => ({
            code: 'InvalidArgument',
            message: `message to ${q.to} exceeded 32 hops (a routing loop between sites?)`,
          })),
        }),
      );
    }
    if (walked.data === null) return;
    const subject = meshTailSubject(this.#o.local, tail);
    if (route === null || walked.requests.length === 0) {
      this.#publish(subject, walked.data, undefined);
      return;
    }
    const ours = this.#routes.peerRoute(site, route);
    const seq = this.#routes.holdAsks({
      site,
      peerRoute: route,
      requests: walked.requests,
      at: now,
    });
    this.#publish(subject, walked.data, askBatchReplySubject(`${this.#o.inbox}.${ours}`, seq));
  }

  /** A `reply` frame from `site`: answers for one of our askers. */
  inboundReply(site: string, route: number, data: Uint8Array): void {
    const dest = this.#routes.askerInbox(route);
    // Only the peer we sent the ask to may answer on its route.
    if (!dest || dest.site !== site) {
      this.#warn(`route:${site}`, { site, route }, 'reply for an unknown route: dropped');
      return;
    }
    this.stats.replies++;
    this.#publish(repliesSubject(dest.inbox), data, undefined);
  }

  /** Replies from local responders, and no-responders statuses for what we published. */
  #inbox(err: Error | null, msg: Msg): void {
    if (err) return;
    const rest = msg.subject.slice(this.#o.inbox.length + 1);
    const dot = rest.indexOf('.');
    if (dot < 0) return;
    const route = this.#routes.peerRouteOf(Number(rest.slice(0, dot)));
    const token = rest.slice(dot + 1);
    if (token === 'r') {
      if (!route || msg.data.length === 0) return;
      this.send(route.site, encodeFrame({ t: 'reply', r: route.id, d: msg.data }));
      return;
    }
    if (token.startsWith('b') && msg.headers?.code === 503) {
      const seq = Number(token.slice(1));
      const batch = this.#routes.takeAsks(seq);
      if (!batch) return;
      this.stats.noResponders++;
      this.send(
        batch.site,
        encodeFrame({
          t: 'reply',
          r: batch.peerRoute,
          d: errorBatch(batch.requests, (q) => noSuchActor(this.#o.local, q.to)),
        }),
      );
    }
  }

  #publish(subject: string, data: Uint8Array, reply: string | undefined): void {
    try {
      this.#nc.publish(subject, data, reply ? { reply } : undefined);
    } catch (err) {
      this.#warn('publish', { subject, err }, 'could not publish on the local broker');
    }
  }

  #callbackFailed(msg: Msg, err: unknown): void {
    this.stats.callbackErrors++;
    this.#warn('callback', { subject: msg?.subject, err }, 'mesh callback failed; message dropped');
  }

  /** Warnings about remote or local input, at most one line a second per kind. */
  #warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    const l = this.#lastLog.get(key);
    if (l && now - l.at < LOG_EVERY_MS) {
      l.suppressed++;
      return;
    }
    if (this.#lastLog.size > 1000) this.#lastLog.clear();
    this.#lastLog.set(key, { at: now, suppressed: 0 });
    this.#o.log.warn({ ...fields, suppressed: l?.suppressed ?? 0 }, message);
  }
}

/** The kernel's wire form of NoSuchActor, naming the site: `siteB:team/coder`. */
function noSuchActor(
  site: string,
  to: string,
  why?: string,
): { code: string; message: string; detail: unknown } {
  const target = `${site}:${to}`;
  return {
    code: 'NoSuchActor',
    message: why ? `no actor at ${target}: ${why}` : `no actor at ${target}`,
    detail: { target },
  };
}
