import { rename } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { constantTimeEqual, toHex } from '../../protocols/crypto/index.ts';
import {
  CloseCode,
  decodeInvite,
  type Invite,
  InviteRejectedError,
} from '../../protocols/mesh/index.ts';
import { UnexpectedStaticKeyError } from '../../protocols/noise/index.ts';
import { nodeInbox, roomSubject } from '../../protocols/subjects/index.ts';
import {
  type ActorRef,
  type ActorSystem,
  actorRef,
  InvalidArgument,
  type ReplyHandle,
  type Timers,
} from '../../runtime/index.ts';
import { backoffDelay } from './backoff.ts';
import type { BridgeProtocol } from './bridge.ts';
import {
  BridgeFrameError,
  BridgeNeedsNatsError,
  JoinFailedError,
  ListenError,
  RoomOperationError,
} from './errors.ts';
import { Forwarder } from './forwarder.ts';
import {
  BRIDGE_CLOSE_BAD_FRAME,
  BRIDGE_PROTOCOL_VERSION,
  type BridgeFrame,
  decodeFrame,
  encodeFrame,
  type RoomFrame,
} from './frames.ts';
import { adoptMesh, fingerprint, loadIdentity, meshDir, type SiteIdentity } from './identity.ts';
import { FileInviteBook } from './invites/index.ts';
import {
  connectLink,
  HandshakeRateLimitedError,
  JoinRejectedError,
  type Link,
  type LinkCloseReason,
  LinkListener,
  type LinkOptions,
  LinkSocketError,
} from './link/index.ts';
import { LinkFailure } from './link-failure.ts';
import {
  defaultAdvertise,
  formatEndpoint,
  parseEndpoint,
  type ResolvedBridgeOptions,
} from './options.ts';
import { type JoinResult, PeerConn } from './peer-conn.ts';
import type { BridgeStatus, PeerInfo } from './protocol.ts';
import { type RoomDelivery, Rooms } from './rooms.ts';
import { Roster } from './roster.ts';

const INVITES_FILE = 'invites.json';
const PING_FRAME = encodeFrame({ t: 'ping' });
/** Security audit events per second before the rest are only counted (a flood must not flood the ledger). */
const AUDIT_BUDGET_PER_SECOND = 20;

/**
 * The machinery of one site's bridge: the TCP listener, the links, dialing with backoff, the
 * NATS forwarding and the rooms. It belongs to the bridge actor: the roster, which link serves
 * which site, and every audit event change only in the actor's handlers (which call the
 * methods below); socket and NATS callbacks only carry traffic and post events to the actor.
 */
export class MeshBridge {
  readonly site: string;
  readonly ref: ActorRef;
  readonly log: Logger;
  readonly forwarder: Forwarder;
  readonly rooms: Rooms;
  identity: SiteIdentity;
  roster: Roster;
  invites: FileInviteBook;
  listenAddress = '';
  advertise: string[] = [];
  readonly #system: ActorSystem;
  readonly #o: ResolvedBridgeOptions;
  readonly #server: Server;
  #listener: LinkListener;
  readonly #handshaking = new Set<Socket>();
  readonly #conns = new Set<PeerConn>();
  readonly #bySite = new Map<string, PeerConn>();
  readonly #dialing = new Set<string>();
  readonly #attempts = new Map<string, number>();
  #refused = 0;
  #ping: NodeJS.Timeout | null = null;
  #stopping = false;
  #auditWindow = { at: 0, used: 0, suppressed: 0 };

  private constructor(
    system: ActorSystem,
    nc: NatsConnection,
    o: ResolvedBridgeOptions,
    identity: SiteIdentity,
    roster: Roster,
    invites: FileInviteBook,
  ) {
    this.#system = system;
    this.#o = o;
    this.site = system.name;
    this.ref = actorRef(system.name, o.path);
    this.log = system.log.child({ actor: o.path });
    this.identity = identity;
    this.roster = roster;
    this.invites = invites;
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
      publicKey: identity.keyPair.publicKey,
      sendToSite: (site, frame) => this.forwarder.send(site, frame),
      siteOfKey: (k) => this.roster.byKey(k)?.site,
      keyOfSite: (s) => this.roster.bySite(s)?.publicKey,
      deliver: (room, m) => this.#deliverRoom(room, m),
      audit: (kind, data) => this.#audit(kind, data),
      warn: (fields, message) => this.log.warn(fields, message),
    });
    this.#listener = this.#makeListener();
    this.#server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
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
    const dir = meshDir(o.dir);
    const identity = await loadIdentity(dir);
    const roster = await Roster.open(dir, identity.meshId);
    const invites = await FileInviteBook.open(join(dir, INVITES_FILE), {
      meshId: identity.meshId,
      inviterStatic: identity.keyPair.publicKey,
    });
    const b = new MeshBridge(system, nc, o, identity, roster, invites);
    await b.#listen();
    b.forwarder.start();
    await b.forwarder.flush();
    if (o.pingIntervalMs > 0) {
      b.#ping = setInterval(() => {
        for (const c of b.#bySite.values()) c.send(PING_FRAME);
      }, o.pingIntervalMs);
      b.#ping.unref();
    }
    return b;
  }

  get publicKey(): Uint8Array {
    return this.identity.keyPair.publicKey;
  }

  /**
   * The actor started, or restarted after a failed handler (which cancelled its timers): dial
   * every peer we dial that has no link and no dial in progress.
   */
  start(timers: Timers): void {
    for (const p of this.roster.list()) if (p.dial) this.redial(p.site, timers);
  }

  // ---- listening and dialing ---------------------------------------------------------------

  async #listen(): Promise<void> {
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
    this.#server.on('error', (err) => this.log.error({ err }, 'mesh listener error'));
    const a = this.#server.address() as AddressInfo;
    this.listenAddress = formatEndpoint(a.address, a.port);
    this.advertise = this.#o.advertise ?? [defaultAdvertise(host, a.port)];
  }

  #linkOptions(): LinkOptions {
    const ping = this.#o.pingIntervalMs;
    return {
      meshId: this.identity.meshId,
      staticKey: this.identity.keyPair,
      handshakeTimeoutMs: this.#o.handshakeTimeoutMs,
      idleTimeoutMs: ping > 0 ? ping * 3 : 0,
    };
  }

  #makeListener(): LinkListener {
    return new LinkListener({
      ...this.#linkOptions(),
      isMember: (k) => this.roster.byKey(k) !== undefined,
      // Read at redemption time: the book is replaced when the site moves to another mesh.
      invites: { redeem: (r) => this.invites.redeem(r) },
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
    for (const p of this.roster.list()) {
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
    if (this.#stopping) {
      socket.destroy();
      return;
    }
    this.#handshaking.add(socket);
    socket.once('close', () => this.#handshaking.delete(socket));
    this.#listener.accept(socket).then(
      (link) => {
        this.#handshaking.delete(socket);
        this.#adopt(link, false, remote, null, null);
      },
      (error: Error) => {
        this.#handshaking.delete(socket);
        if (error instanceof HandshakeRateLimitedError) {
          this.#refused++;
          this.log.debug({ remote, err: error.message }, 'connection refused by the rate limit');
          return;
        }
        this.#post('linkFailed', { failure: new LinkFailure('in', remote, null, error) });
      },
    );
  }

  /** A backoff timer fired (or the actor started): dial `site` unless a link is up or dialing. */
  redial(site: string, timers: Timers): void {
    if (this.#stopping || this.#bySite.has(site) || this.#dialing.has(site)) return;
    const peer = this.roster.bySite(site);
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
      this.#post('linkFailed', {
        failure: new LinkFailure('out', endpoint, site, error as Error),
      });
      return;
    }
    connectLink(address, { ...this.#linkOptions(), expectedRemote: peer.publicKey }).then(
      (link) => {
        this.#dialing.delete(site);
        this.#adopt(link, true, endpoint, site, null);
      },
      (error: Error) => {
        this.#dialing.delete(site);
        this.#post('linkFailed', { failure: new LinkFailure('out', endpoint, site, error) });
      },
    );
  }

  #scheduleRedial(site: string, timers: Timers): void {
    if (this.#stopping || this.#bySite.has(site) || this.#dialing.has(site)) return;
    const peer = this.roster.bySite(site);
    if (!peer?.dial) return;
    const attempt = this.#attempts.get(site) ?? 0;
    this.#attempts.set(site, attempt + 1);
    const delay = backoffDelay(attempt, this.#o.reconnect);
    this.log.debug({ site, attempt, delay }, 'redial scheduled');
    timers.once(`dial:${site}`, delay, 'redial', { site });
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
    this.#conns.add(conn);
    void this.#serve(conn);
  }

  /** One link's read loop: the hello first (judged by the actor), then traffic until it closes. */
  async #serve(conn: PeerConn): Promise<void> {
    const link = conn.link;
    conn.send(
      encodeFrame({
        t: 'hello',
        v: BRIDGE_PROTOCOL_VERSION,
        site: this.site,
        endpoints: this.advertise,
      }),
    );
    const helloTimer = setTimeout(() => {
      if (conn.site === null) void link.close('no hello in time', BRIDGE_CLOSE_BAD_FRAME);
    }, this.#o.handshakeTimeoutMs);
    helloTimer.unref();
    try {
      for await (const bytes of link) {
        let f: BridgeFrame;
        try {
          f = decodeFrame(bytes);
          if (f.t === 'hello' && conn.site !== null) throw new BridgeFrameError('a second hello');
          if (f.t !== 'hello' && conn.site === null) {
            throw new BridgeFrameError(`the first frame must be hello, not ${f.t}`);
          }
        } catch (error) {
          this.#rejectFrame(conn, error as BridgeFrameError);
          break;
        }
        switch (f.t) {
          case 'hello': {
            clearTimeout(helloTimer);
            const verdict = await this.#system
              .ask(
                this.ref as ActorRef<BridgeProtocol>,
                'peerHello',
                { conn, site: f.site, endpoints: f.endpoints },
                { timeout: this.#o.handshakeTimeoutMs },
              )
              .catch((err: Error) => ({ ok: false, reason: err.message }));
            if (!verdict.ok) {
              await link.close(verdict.reason ?? 'refused', CloseCode.revoked);
              return this.#ended(conn);
            }
            break;
          }
          case 'nats':
            this.forwarder.inboundNats(conn.site!, f.s, f.r, f.d);
            break;
          case 'reply':
            this.forwarder.inboundReply(conn.site!, f.r, f.d);
            break;
          case 'ping':
            break;
          default:
            this.#post('roomFrame', { conn, frame: f });
        }
      }
    } catch {
      // The link closed on an error; its close reason says which.
    }
    clearTimeout(helloTimer);
    return this.#ended(conn);
  }

  async #ended(conn: PeerConn): Promise<void> {
    const reason = await conn.link.closed;
    this.#post('linkDown', { conn, reason: describeClose(reason) });
  }

  #rejectFrame(conn: PeerConn, error: BridgeFrameError): void {
    void conn.link.close(error.message.slice(0, 200), BRIDGE_CLOSE_BAD_FRAME);
    this.#post('badFrame', { conn, error: error.name, message: error.message });
  }

  /** Tells the bridge actor about an event; after shutdown there is nobody to tell. */
  #post(type: 'linkDown' | 'linkFailed' | 'badFrame' | 'roomFrame', body: unknown): void {
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
    const key = conn.remoteKey;
    const fp = fingerprint(key);
    const role = conn.joining ? 'joiner' : conn.link.joinedWith ? 'inviter' : null;
    const refuse = (reason: string) => {
      this.#auditSecurity('security.peer_rejected', {
        site,
        fingerprint: fp,
        remote: conn.remote,
        reason,
      });
      conn.joining?.reply.fail(new JoinFailedError(`the inviter was refused: ${reason}`));
      conn.joining = null;
      return { ok: false, reason };
    };
    if (site === this.site) return refuse(`the peer claims this site's own name ${site}`);
    let dialEndpoints: string[] = [];
    if (role !== null) {
      const taken = this.roster.bySite(site);
      if (taken && !constantTimeEqual(taken.publicKey, key)) {
        return refuse(`site name ${site} is already paired with another key`);
      }
      dialEndpoints =
        role === 'joiner'
          ? unique([conn.remote, ...endpoints, ...conn.joining!.invite.endpoints])
          : endpoints;
      try {
        await this.roster.add({
          site,
          publicKey: key,
          endpoints: dialEndpoints.slice(0, 16),
          dial: role === 'joiner',
          addedAt: Date.now(),
        });
      } catch (err) {
        return refuse((err as Error).message);
      }
      this.forwarder.addSite(site);
      this.#audit('mesh.join', {
        site,
        role,
        fingerprint: fp,
        remote: conn.remote,
        ...(role === 'inviter' && conn.link.joinedWith?.label
          ? { label: conn.link.joinedWith.label }
          : {}),
        ...(role === 'inviter' ? { inviteId: toHex(conn.link.joinedWith!.inviteId) } : {}),
      });
    } else {
      const peer = this.roster.byKey(key);
      if (!peer) return refuse('the key is not paired (any more)');
      if (peer.site !== site) return refuse(`the key paired as ${peer.site} says it is ${site}`);
      const next = peer.dial && conn.dialed ? unique([conn.remote, ...endpoints]) : endpoints;
      if (next.length > 0) {
        // Where the peer listens is a hint: failing to record it must not refuse the link.
        await this.roster
          .setEndpoints(site, next.slice(0, 16))
          .catch((err: Error) => this.log.warn({ site, err: err.message }, 'endpoints not saved'));
      }
      dialEndpoints = [...(this.roster.bySite(site)?.endpoints ?? [])];
    }
    this.#install(conn, site, timers);
    if (conn.joining) {
      conn.joining.reply.reply({ site, fingerprint: fp, endpoints: dialEndpoints });
      conn.joining = null;
    }
    return { ok: true };
  }

  #install(conn: PeerConn, site: string, timers: Timers): void {
    const old = this.#bySite.get(site);
    conn.site = site;
    this.#bySite.set(site, conn);
    if (old && old !== conn) {
      this.forwarder.detach(site, old);
      void old.link.close('replaced by a newer link', CloseCode.goingAway);
    }
    this.forwarder.attach(site, conn);
    timers.cancel(`dial:${site}`);
    this.#attempts.delete(site);
    this.#audit('mesh.peer_connected', {
      site,
      direction: conn.dialed ? 'out' : 'in',
      remote: conn.remote,
    });
  }

  /** linkDown: forget the link; redial when we are the side that dials. */
  linkDown(conn: PeerConn, reason: string, timers: Timers): void {
    this.#conns.delete(conn);
    if (conn.joining) {
      conn.joining.reply.fail(
        new JoinFailedError(
          `the link to the inviter closed before the pairing finished: ${reason}`,
        ),
      );
      conn.joining = null;
    }
    if (conn.site !== null && this.#bySite.get(conn.site) === conn) {
      this.#bySite.delete(conn.site);
      this.forwarder.detach(conn.site, conn);
      this.#audit('mesh.peer_lost', { site: conn.site, reason });
    }
    const site = conn.site ?? conn.expectedSite;
    if (site !== null) this.#scheduleRedial(site, timers);
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
      this.#auditSecurity('security.invite_rejected', { ...data, reason: e.reason });
    } else if (!(f.direction === 'out' && e instanceof LinkSocketError)) {
      // An unreachable peer is an outage, not a security event; everything else may be one.
      this.#auditSecurity('security.handshake_failed', data);
    }
    this.log.info(data, 'mesh link did not open');
    if (f.site !== null) this.#scheduleRedial(f.site, timers);
  }

  badFrame(conn: PeerConn, error: string, message: string): void {
    this.#auditSecurity('security.link_protocol_error', {
      site: conn.site ?? conn.expectedSite,
      fingerprint: fingerprint(conn.remoteKey),
      remote: conn.remote,
      error,
      message,
    });
  }

  roomFrame(conn: PeerConn, frame: RoomFrame): void {
    if (conn.site === null) return;
    switch (frame.t) {
      case 'room-key':
        this.rooms.onKey(conn.remoteKey, conn.site, frame.room, frame.u);
        return;
      case 'room-left':
        this.rooms.onLeft(conn.remoteKey, frame.room);
        return;
      case 'room-msg':
        this.rooms.onMessage(conn.remoteKey, frame.room, frame.m);
        return;
    }
  }

  async invite(req: {
    ttlMs?: number | undefined;
    label?: string | undefined;
    maxUses?: number | undefined;
  }): Promise<{ token: string; inviteId: string; expiresAt: number; endpoints: string[] }> {
    let issued: Awaited<ReturnType<FileInviteBook['issue']>>;
    try {
      issued = await this.invites.issue({
        now: Date.now(),
        ttlMs: req.ttlMs ?? this.#o.inviteTtlMs,
        endpoints: this.advertise,
        ...(req.maxUses === undefined ? {} : { maxUses: req.maxUses }),
        ...(req.label === undefined ? {} : { label: req.label }),
      });
    } catch (err) {
      if (err instanceof RangeError) throw new InvalidArgument(err.message);
      throw err;
    }
    const inviteId = toHex(issued.record.inviteId);
    this.#audit('mesh.invite_issued', {
      inviteId,
      expiresAt: issued.record.expiresAt,
      maxUses: issued.record.maxUses,
      ...(req.label ? { label: req.label } : {}),
    });
    return {
      token: issued.token,
      inviteId,
      expiresAt: issued.record.expiresAt,
      endpoints: this.advertise,
    };
  }

  /**
   * join: checks the token now (bad input answers at once), then dials the inviter's endpoints
   * in turn; the reply waits for the inviter's hello (see `hello`).
   */
  async join(token: string, reply: ReplyHandle<JoinResult>): Promise<void> {
    let invite: Invite;
    try {
      invite = decodeInvite(token);
    } catch (err) {
      reply.fail(new InvalidArgument((err as Error).message));
      return;
    }
    if (constantTimeEqual(invite.inviterStatic, this.publicKey)) {
      reply.fail(
        new InvalidArgument('this invite was issued by this site: give it to another one'),
      );
      return;
    }
    const paired = this.roster.byKey(invite.inviterStatic);
    if (paired) {
      reply.fail(new JoinFailedError(`already paired with the inviter, as site ${paired.site}`));
      return;
    }
    if (invite.endpoints.length === 0) {
      reply.fail(new JoinFailedError('the invite names no endpoint to dial'));
      return;
    }
    if (!constantTimeEqual(invite.meshId, this.identity.meshId)) {
      if (this.roster.size > 0) {
        reply.fail(
          new JoinFailedError(
            'the invite is for another mesh, and this site already has peers in its own: a site ' +
              'belongs to one mesh (ask a site of this mesh for an invite instead)',
          ),
        );
        return;
      }
      await this.#adoptMesh(invite.meshId);
    }
    void this.#dialInvite(invite, reply);
  }

  async #dialInvite(invite: Invite, reply: ReplyHandle<JoinResult>): Promise<void> {
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
        const link = await connectLink(address, { ...this.#linkOptions(), invite });
        this.#adopt(link, true, endpoint, null, { invite, reply });
        return;
      } catch (err) {
        last = err as Error;
        this.log.info({ endpoint, err: last.message }, 'join: dial failed');
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

  /** A site with no peers moves to the inviter's mesh; its unredeemed invites are set aside. */
  async #adoptMesh(meshId: Uint8Array): Promise<void> {
    const previous = this.identity.meshId;
    this.identity = await adoptMesh(this.identity, meshId);
    await this.roster.adoptMesh(meshId);
    const dir = this.identity.dir;
    await rename(join(dir, INVITES_FILE), join(dir, `invites.${toHex(previous)}.json`)).catch(
      () => {},
    );
    this.invites = await FileInviteBook.open(join(dir, INVITES_FILE), {
      meshId,
      inviterStatic: this.publicKey,
    });
    this.#listener = this.#makeListener();
    this.#audit('mesh.adopted', { meshId: toHex(meshId), previous: toHex(previous) });
  }

  async forget(site: string, timers: Timers): Promise<{ site: string; fingerprint: string }> {
    const peer = await this.roster.remove(site);
    this.forwarder.removeSite(site);
    timers.cancel(`dial:${site}`);
    this.#attempts.delete(site);
    const conn = this.#bySite.get(site);
    if (conn) {
      this.#bySite.delete(site);
      this.forwarder.detach(site, conn);
      void conn.link.close('unpaired', CloseCode.revoked);
    }
    const fp = fingerprint(peer.publicKey);
    this.#audit('mesh.peer_removed', { site, fingerprint: fp });
    return { site, fingerprint: fp };
  }

  peers(): PeerInfo[] {
    return this.roster.list().map((p) => ({
      site: p.site,
      fingerprint: fingerprint(p.publicKey),
      publicKey: toHex(p.publicKey),
      endpoints: [...p.endpoints],
      dial: p.dial,
      connected: this.#bySite.has(p.site),
      held: this.forwarder.heldFrames(p.site),
    }));
  }

  status(): BridgeStatus {
    return {
      site: this.site,
      meshId: toHex(this.identity.meshId),
      publicKey: toHex(this.publicKey),
      fingerprint: fingerprint(this.publicKey),
      listen: this.listenAddress,
      advertise: this.advertise,
      peers: this.peers(),
      refused: this.#refused,
      halfOpen: this.#listener.halfOpen,
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

  // ---- audit and shutdown --------------------------------------------------------------------

  #audit(kind: string, data: Record<string, unknown>): void {
    try {
      this.#system.audit(kind, data, this.#o.path);
    } catch (err) {
      this.log.error({ err, kind }, 'audit event not recorded');
    }
  }

  /** Security events a remote party can provoke: at most AUDIT_BUDGET_PER_SECOND, then a count. */
  #auditSecurity(kind: string, data: Record<string, unknown>): void {
    const w = this.#auditWindow;
    const now = Date.now();
    if (now - w.at >= 1000) {
      if (w.suppressed > 0) this.#audit('security.events_suppressed', { count: w.suppressed });
      this.#auditWindow = { at: now, used: 0, suppressed: 0 };
    }
    if (this.#auditWindow.used++ < AUDIT_BUDGET_PER_SECOND) this.#audit(kind, data);
    else this.#auditWindow.suppressed++;
  }

  /** Closes every link (goingAway), the listener and the NATS subscriptions. */
  async close(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#ping) clearInterval(this.#ping);
    this.forwarder.stop();
    this.#server.close();
    for (const s of this.#handshaking) s.destroy();
    const closing: Promise<unknown>[] = [];
    for (const c of this.#conns) {
      c.joining?.reply.fail(new JoinFailedError('the mesh bridge stopped'));
      c.joining = null;
      closing.push(c.link.close('site bridge stopping', CloseCode.goingAway));
    }
    await Promise.all(closing);
  }
}

function describeClose(r: LinkCloseReason): string {
  if (r.by === 'error') return `${r.error.name}: ${r.error.message}`;
  return `closed by the ${r.by === 'local' ? 'local' : 'peer'} side (code ${r.code}${r.reason ? `: ${r.reason}` : ''})`;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
