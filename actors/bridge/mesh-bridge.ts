import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { toHex } from '../../protocols/crypto/index.ts';
import { CloseCode, InviteRejectedError } from '../../protocols/mesh/index.ts';
import { nodeInbox, roomSubject } from '../../protocols/subjects/index.ts';
import {
  type ActorRef,
  type ActorSystem,
  actorRef,
  type ReplyHandle,
  type Timers,
} from '../../runtime/index.ts';
import { Acceptor } from './acceptor.ts';
import type { BridgeProtocol } from './bridge.ts';
import { Dialer } from './dialer.ts';
import { BridgeNeedsNatsError, JoinFailedError, RoomOperationError } from './errors.ts';
import { encodeFrame, type RoomFrame } from './frames.ts';
import { fingerprint } from './identity.ts';
import { type Link, type LinkOptions, LinkSocketError } from './link/index.ts';
import type { LinkFailure } from './link-failure.ts';
import { type LinkEvent, type LinkReaderHost, readLink } from './link-reader.ts';
import type { ResolvedBridgeOptions } from './options.ts';
import { Pairing, type SiteRecords } from './pairing.ts';
import { type JoinResult, PeerConn } from './peer-conn.ts';
import { PeerTable } from './peer-table.ts';
import type { BridgeStatus, PeerInfo } from './protocol.ts';
import { Forwarder } from './reencrypt-forwarder.ts';
import { type RoomDelivery, Rooms } from './rooms.ts';
import { SecurityAudit } from './security-audit.ts';

const PING_FRAME = encodeFrame({ t: 'ping' });

/**
 * The machinery of one site's bridge, composed of its parts: the acceptor (listener and incoming
 * handshakes), the dialer (links to the peers we dial, with backoff), pairing (who the peers
 * are), the peer table (which link serves which site), the re-encrypting forwarder (NATS ↔
 * links) and the rooms. Here: each link's read loop, and the actor's handlers gluing the parts.
 * It belongs to the bridge actor: the roster, which link serves which site, and every audit
 * event change only in the actor's handlers (which call the methods below); socket and NATS
 * callbacks only carry traffic and post events to the actor.
 */
export class MeshBridge {
  readonly site: string;
  readonly ref: ActorRef;
  readonly log: Logger;
  readonly forwarder: Forwarder;
  readonly rooms: Rooms;
  readonly pairing: Pairing;
  readonly #system: ActorSystem;
  readonly #o: ResolvedBridgeOptions;
  readonly #peers = new PeerTable();
  readonly #acceptor: Acceptor;
  readonly #dialer: Dialer;
  readonly #reader: LinkReaderHost;
  readonly #audit: SecurityAudit;
  #ping: NodeJS.Timeout | null = null;
  #stopping = false;

  private constructor(
    system: ActorSystem,
    nc: NatsConnection,
    o: ResolvedBridgeOptions,
    records: SiteRecords,
  ) {
    this.#system = system;
    this.#o = o;
    this.site = system.name;
    this.ref = actorRef(system.name, o.path);
    this.log = system.log.child({ actor: o.path });
    this.#audit = new SecurityAudit((kind, data) => {
      try {
        system.audit(kind, data, o.path);
      } catch (err) {
        this.log.error({ err, kind }, 'audit event not recorded');
      }
    });
    const bridge = this;
    this.pairing = new Pairing(
      records,
      {
        site: this.site,
        log: this.log,
        paired: (site) => this.forwarder.addSite(site),
        unpaired: (site) => this.forwarder.removeSite(site),
        meshAdopted: () => this.#acceptor.renew(),
        audit: (kind, data) => this.#audit.event(kind, data),
        auditSecurity: (kind, data) => this.#audit.security(kind, data),
      },
      o.inviteTtlMs,
    );
    const roster = this.pairing.roster;
    this.forwarder = new Forwarder(nc, {
      local: system.name,
      inbox: nodeInbox(o.inboxPrefix, `${system.node}-mesh`),
      log: this.log,
      holdBytes: o.holdBytes,
      privatePaths: [o.path, 'sys'],
    });
    for (const p of roster.list()) this.forwarder.addSite(p.site);
    this.rooms = new Rooms({
      site: this.site,
      publicKey: this.pairing.publicKey,
      sendToSite: (site, frame) => this.forwarder.send(site, frame),
      siteOfKey: (k) => roster.byKey(k)?.site,
      keyOfSite: (s) => roster.bySite(s)?.publicKey,
      deliver: (room, m) => this.#deliverRoom(room, m),
      audit: (kind, data) => this.#audit.event(kind, data),
      warn: (fields, message) => this.log.warn(fields, message),
    });
    const failed = (failure: LinkFailure) => this.#post('linkFailed', { failure });
    this.#acceptor = new Acceptor(
      {
        log: this.log,
        roster,
        get invites() {
          return bridge.pairing.invites;
        },
        get stopping() {
          return bridge.#stopping;
        },
        linkOptions: () => this.#linkOptions(),
        adopt: (link, remote) => this.#adopt(link, false, remote, null, null),
        failed,
      },
      o,
    );
    this.#dialer = new Dialer(
      {
        log: this.log,
        roster,
        peers: this.#peers,
        get stopping() {
          return bridge.#stopping;
        },
        linkOptions: () => this.#linkOptions(),
        adopt: (link, remote, expectedSite, joining) =>
          this.#adopt(link, true, remote, expectedSite, joining),
        failed,
      },
      o.reconnect,
    );
    this.#reader = {
      site: this.site,
      get advertise() {
        return bridge.advertise;
      },
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      forwarder: this.forwarder,
      judgeHello: (conn, site, endpoints) =>
        system.ask(
          this.ref as ActorRef<BridgeProtocol>,
          'peerHello',
          { conn, site, endpoints },
          { timeout: o.handshakeTimeoutMs },
        ),
      post: (e) => this.#post(e.type, e.body),
    };
  }

  /**
   * Loads the site (identity, roster, invites), listens, and subscribes to the site's mesh
   * subjects. Everything that can fail for a reason the operator must fix fails here, typed.
   */
  static async open(system: ActorSystem, o: ResolvedBridgeOptions): Promise<MeshBridge> {
    const nc = system.nats;
    if (!nc) {
      throw new BridgeNeedsNatsError(
        `system ${system.name} runs embedded: the mesh bridge needs a NATS transport ` +
          '(start the system with transport { kind: "nats", ... }, or pass --nats)',
      );
    }
    const b = new MeshBridge(system, nc, o, await Pairing.load(o.dir));
    await b.#acceptor.listen();
    b.forwarder.start();
    await b.forwarder.flush();
    if (o.pingIntervalMs > 0) {
      b.#ping = setInterval(() => {
        for (const c of b.#peers.serving()) c.send(PING_FRAME);
      }, o.pingIntervalMs);
      b.#ping.unref();
    }
    return b;
  }

  get publicKey(): Uint8Array {
    return this.pairing.publicKey;
  }

  /** `host:port` the acceptor listens on. */
  get listenAddress(): string {
    return this.#acceptor.listenAddress;
  }

  /** What invites and hellos tell peers to dial. */
  get advertise(): string[] {
    return this.#acceptor.advertise;
  }

  /**
   * The actor started, or restarted after a failed handler (which cancelled its timers): dial
   * every peer we dial that has no link and no dial in progress.
   */
  start(timers: Timers): void {
    for (const p of this.pairing.roster.list()) if (p.dial) this.redial(p.site, timers);
  }

  /** A backoff timer fired (or the actor started): dial `site` unless a link is up or dialing. */
  redial(site: string, timers: Timers): void {
    this.#dialer.redial(site, timers);
  }

  // ---- links -------------------------------------------------------------------------------

  #linkOptions(): LinkOptions {
    const ping = this.#o.pingIntervalMs;
    const identity = this.pairing.identity;
    return {
      meshId: identity.meshId,
      staticKey: identity.keyPair,
      handshakeTimeoutMs: this.#o.handshakeTimeoutMs,
      idleTimeoutMs: ping > 0 ? ping * 3 : 0,
    };
  }

  #adopt(
    link: Link,
    dialed: boolean,
    remote: string,
    expectedSite: string | null,
    joining: PeerConn['joining'],
  ): void {
    if (this.#stopping) {
      joining?.reply.fail(new JoinFailedError('the mesh bridge is stopping'));
      void link.close('site bridge stopping', CloseCode.goingAway);
      return;
    }
    const conn = new PeerConn(link, dialed, remote, expectedSite, joining, this.log);
    this.#peers.opened(conn);
    void readLink(conn, this.#reader);
  }

  /** Tells the bridge actor about an event; after shutdown there is nobody to tell. */
  #post(type: LinkEvent['type'] | 'linkFailed', body: unknown): void {
    try {
      this.#system.tell(this.ref, type, body as never);
    } catch (err) {
      this.log.debug({ err, type }, 'bridge event not delivered (shutting down)');
    }
  }

  // ---- the actor's handlers call these -------------------------------------------------------

  /** peerHello: admit a link as a site's link, pairing it first when it came through an invite. */
  async hello(
    conn: PeerConn,
    site: string,
    endpoints: string[],
    timers: Timers,
  ): Promise<{ ok: boolean; reason?: string }> {
    if (this.#stopping || !conn.link.isOpen) return { ok: false, reason: 'link closed' };
    const verdict = await this.pairing.admit(conn, site, endpoints);
    if (!verdict.ok) return verdict;
    this.#install(conn, site, timers);
    if (conn.joining) {
      conn.joining.reply.reply({
        site,
        fingerprint: fingerprint(conn.remoteKey),
        endpoints: verdict.endpoints,
      });
      conn.joining = null;
    }
    return { ok: true };
  }

  #install(conn: PeerConn, site: string, timers: Timers): void {
    const old = this.#peers.install(conn, site);
    if (old) {
      this.forwarder.detach(site, old);
      void old.link.close('replaced by a newer link', CloseCode.goingAway);
    }
    this.forwarder.attach(site, conn);
    this.#dialer.settle(site, timers);
    this.#audit.event('mesh.peer_connected', {
      site,
      direction: conn.dialed ? 'out' : 'in',
      remote: conn.remote,
    });
  }

  /** linkDown: forget the link; redial when we are the side that dials. */
  linkDown(conn: PeerConn, reason: string, timers: Timers): void {
    const served = this.#peers.closed(conn);
    if (conn.joining) {
      conn.joining.reply.fail(
        new JoinFailedError(
          `the link to the inviter closed before the pairing finished: ${reason}`,
        ),
      );
      conn.joining = null;
    }
    if (served) {
      this.forwarder.detach(conn.site!, conn);
      this.#audit.event('mesh.peer_lost', { site: conn.site, reason });
    }
    const site = conn.site ?? conn.expectedSite;
    if (site !== null) this.#dialer.schedule(site, timers);
  }

  /** linkFailed: audit what may be an attack; redial a peer we failed to reach. */
  linkFailed(f: LinkFailure, timers: Timers): void {
    const e = f.error;
    const data = {
      direction: f.direction,
      remote: f.remote,
      ...(f.site ? { site: f.site } : {}),
      error: e.name,
      message: e.message,
    };
    if (e instanceof InviteRejectedError) {
      this.#audit.security('security.invite_rejected', { ...data, reason: e.reason });
    } else if (!(f.direction === 'out' && e instanceof LinkSocketError)) {
      // An unreachable peer is an outage, not a security event; everything else may be one.
      this.#audit.security('security.handshake_failed', data);
    }
    this.log.info(data, 'mesh link did not open');
    if (f.site !== null) this.#dialer.schedule(f.site, timers);
  }

  badFrame(conn: PeerConn, error: string, message: string): void {
    this.#audit.security('security.link_protocol_error', {
      site: conn.site ?? conn.expectedSite,
      fingerprint: fingerprint(conn.remoteKey),
      remote: conn.remote,
      error,
      message,
    });
  }

  roomFrame(conn: PeerConn, frame: RoomFrame): void {
    if (conn.site !== null) this.rooms.onFrame(conn.remoteKey, conn.site, frame);
  }

  invite(req: {
    ttlMs?: number | undefined;
    label?: string | undefined;
    maxUses?: number | undefined;
  }): Promise<{ token: string; inviteId: string; expiresAt: number; endpoints: string[] }> {
    return this.pairing.issueInvite(req, this.advertise);
  }

  /**
   * join: checks the token now (bad input answers at once), then dials the inviter's endpoints
   * in turn; the reply waits for the inviter's hello (see `hello`).
   */
  async join(token: string, reply: ReplyHandle<JoinResult>): Promise<void> {
    const invite = await this.pairing.checkJoin(token, reply);
    if (invite) void this.#dialer.dialInviter(invite, reply);
  }

  async forget(site: string, timers: Timers): Promise<{ site: string; fingerprint: string }> {
    const peer = await this.pairing.unpair(site);
    this.#dialer.settle(site, timers);
    const conn = this.#peers.take(site);
    if (conn) {
      this.forwarder.detach(site, conn);
      void conn.link.close('unpaired', CloseCode.revoked);
    }
    const fp = fingerprint(peer.publicKey);
    this.#audit.event('mesh.peer_removed', { site, fingerprint: fp });
    return { site, fingerprint: fp };
  }

  peers(): PeerInfo[] {
    return this.pairing.roster.list().map((p) => ({
      site: p.site,
      fingerprint: fingerprint(p.publicKey),
      publicKey: toHex(p.publicKey),
      endpoints: [...p.endpoints],
      dial: p.dial,
      connected: this.#peers.has(p.site),
      held: this.forwarder.heldFrames(p.site),
    }));
  }

  status(): BridgeStatus {
    return {
      site: this.site,
      meshId: toHex(this.pairing.identity.meshId),
      publicKey: toHex(this.publicKey),
      fingerprint: fingerprint(this.publicKey),
      listen: this.listenAddress,
      advertise: this.advertise,
      peers: this.peers(),
      refused: this.#acceptor.refused,
      halfOpen: this.#acceptor.halfOpen,
      forwarded: { ...this.forwarder.stats },
    };
  }

  roomSend(room: string, body: unknown): { room: string; epoch: number; recipients: number } {
    if (body === undefined) throw new RoomOperationError('a room message needs a body');
    return this.rooms.send(room, body);
  }

  #deliverRoom(room: string, m: RoomDelivery): void {
    const nc = this.#system.nats;
    if (!nc || nc.isClosed()) return;
    try {
      nc.publish(roomSubject(this.site, room), JSON.stringify(m));
    } catch (err) {
      this.log.warn({ room, err }, 'room message not published');
    }
  }

  // ---- shutdown ----------------------------------------------------------------------------

  /** Closes every link (goingAway), the listener and the NATS subscriptions. */
  async close(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#ping) clearInterval(this.#ping);
    this.forwarder.stop();
    this.#acceptor.close();
    const closing: Promise<unknown>[] = [];
    for (const c of this.#peers.all()) {
      c.joining?.reply.fail(new JoinFailedError('the mesh bridge stopped'));
      c.joining = null;
      closing.push(c.link.close('site bridge stopping', CloseCode.goingAway));
    }
    await Promise.all(closing);
  }
}
