import { constantTimeEqual, toHex } from '../../protocols/crypto/index.ts';
import {
  decodeRoomKeyUpdate,
  RoomAdmin,
  RoomError,
  RoomState,
} from '../../protocols/mesh/index.ts';
import { RoomOperationError, UnknownPeerError } from './errors.ts';
import { encodeFrame, type RoomFrame } from './frames.ts';

/** What the rooms need from the bridge. */
export interface RoomsHost {
  /** This site's name and static key. */
  readonly site: string;
  readonly publicKey: Uint8Array;
  /** Sends a frame to a paired site (held while its link is down); false if not paired. */
  sendToSite(site: string, frame: Uint8Array): boolean;
  siteOfKey(publicKey: Uint8Array): string | undefined;
  keyOfSite(site: string): Uint8Array | undefined;
  /** Hands an opened room message to this site's subscribers. */
  deliver(room: string, message: RoomDelivery): void;
  audit(kind: string, data: Record<string, unknown>): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** A room message as this site's subscribers see it (JSON on `troupe.<site>.room.<room>`). */
export interface RoomDelivery {
  room: string;
  /** The sending site, as it names itself inside the sealed message. */
  from: string;
  /** Fingerprint source: the sender's static key (hex), authenticated by the room key. */
  sender: string;
  epoch: number;
  seq: number;
  body: unknown;
  at: number;
}

export interface RoomInfo {
  room: string;
  admin: string;
  isAdmin: boolean;
  epoch: number;
  /** Member sites (a member this site is not paired with shows as its key's first 16 hex digits). */
  members: string[];
}

interface Joined {
  state: RoomState;
  adminKey: Uint8Array;
  adminSite: string;
  members: Uint8Array[];
  /** Set on the admin's own site. */
  admin: RoomAdmin | null;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The rooms this site belongs to. The admin (the site that created the room) keeps the roster
 * and sends a fresh epoch key to every member over its pairwise link on each change; members
 * send sealed messages to the admin, which relays them to the others (a star: the admin is the
 * one site paired with every member). Relayed bytes stay sealed end to end under the room key.
 */
export class Rooms {
  readonly #host: RoomsHost;
  readonly #rooms = new Map<string, Joined>();

  constructor(host: RoomsHost) {
    this.#host = host;
  }

  list(): RoomInfo[] {
    return [...this.#rooms.keys()].map((r) => this.info(r));
  }

  info(room: string): RoomInfo {
    const j = this.#require(room);
    return {
      room,
      admin: j.adminSite,
      isAdmin: j.admin !== null,
      epoch: j.state.epoch ?? 0,
      members: j.members.map((k) => this.#name(k)),
    };
  }

  create(room: string): RoomInfo {
    if (this.#rooms.has(room)) throw new RoomOperationError(`room ${room} already exists here`);
    const me = this.#host.publicKey;
    const admin = new RoomAdmin({ admin: me });
    const state = new RoomState({ roomId: admin.roomId, self: me, admin: me });
    this.#rooms.set(room, {
      state,
      adminKey: me,
      adminSite: this.#host.site,
      members: [me],
      admin,
    });
    const { update } = admin.rotate();
    state.applyKeyUpdate(update, me);
    this.#host.audit('room.created', { room, roomId: toHex(admin.roomId), epoch: admin.epoch });
    this.#host.audit('room.key_rotated', { room, epoch: admin.epoch, members: 1 });
    return this.info(room);
  }

  add(room: string, site: string): RoomInfo {
    const j = this.#requireAdmin(room);
    const key = this.#host.keyOfSite(site);
    if (!key) throw new UnknownPeerError(site);
    if (j.members.some((m) => constantTimeEqual(m, key))) {
      throw new RoomOperationError(`${site} is already a member of room ${room}`);
    }
    this.#distribute(room, j, j.admin!.add(key));
    return this.#membersChanged(room, j, 'room.member_added', site);
  }

  remove(room: string, site: string): RoomInfo {
    const j = this.#requireAdmin(room);
    if (site === this.#host.site) {
      throw new RoomOperationError(`the admin cannot leave its own room ${room}`);
    }
    const key = this.#host.keyOfSite(site);
    if (!key) throw new UnknownPeerError(site);
    if (!j.members.some((m) => constantTimeEqual(m, key))) {
      throw new RoomOperationError(`${site} is not a member of room ${room}`);
    }
    this.#distribute(room, j, j.admin!.remove(key));
    this.#host.sendToSite(site, encodeFrame({ t: 'room-left', room }));
    return this.#membersChanged(room, j, 'room.member_removed', site);
  }

  /** Seals `body` for the room and sends it; returns the epoch and how many sites it went to. */
  send(room: string, body: unknown): { room: string; epoch: number; recipients: number } {
    const j = this.#rooms.get(room);
    if (!j) throw new RoomOperationError(`this site is not a member of room ${room}`);
    let text: string;
    try {
      text = JSON.stringify({ from: this.#host.site, body });
    } catch (cause) {
      throw new RoomOperationError(`the room message is not JSON: ${String(cause)}`, { cause });
    }
    const sealed = j.state.seal(utf8.encode(text));
    const frame = encodeFrame({ t: 'room-msg', room, m: sealed });
    let recipients = 0;
    if (j.admin) {
      for (const k of j.members) {
        if (constantTimeEqual(k, this.#host.publicKey)) continue;
        const site = this.#host.siteOfKey(k);
        if (site && this.#host.sendToSite(site, frame)) recipients++;
      }
    } else if (this.#host.sendToSite(j.adminSite, frame)) {
      recipients = j.members.length - 1;
    }
    this.#open(room, j, sealed);
    return { room, epoch: j.state.epoch ?? 0, recipients };
  }

  /** A room frame from the site `fromSite`, whose link authenticated the key `fromKey`. */
  onFrame(fromKey: Uint8Array, fromSite: string, frame: RoomFrame): void {
    switch (frame.t) {
      case 'room-key':
        this.onKey(fromKey, fromSite, frame.room, frame.u);
        return;
      case 'room-left':
        this.onLeft(fromKey, frame.room);
        return;
      case 'room-msg':
        this.onMessage(fromKey, frame.room, frame.m);
        return;
    }
  }

  /** A `room-key` frame from the peer `fromKey` (the link's authenticated key). */
  onKey(fromKey: Uint8Array, fromSite: string, room: string, update: Uint8Array): void {
    try {
      const u = decodeRoomKeyUpdate(update);
      let j = this.#rooms.get(room);
      if (j?.admin) throw new RoomOperationError(`${fromSite} sent a key for our own room ${room}`);
      if (j && !constantTimeEqual(j.state.roomId, u.roomId)) {
        throw new RoomOperationError(`${fromSite} sent a key for another room named ${room}`);
      }
      const fresh = j === undefined;
      const state =
        j?.state ?? new RoomState({ roomId: u.roomId, self: this.#host.publicKey, admin: fromKey });
      state.applyKeyUpdate(u, fromKey);
      j = { state, adminKey: fromKey, adminSite: fromSite, members: u.members, admin: null };
      this.#rooms.set(room, j);
      if (fresh) {
        this.#host.audit('room.member_added', { room, site: this.#host.site, admin: fromSite });
      }
      this.#host.audit('room.key_rotated', {
        room,
        epoch: u.epoch,
        members: u.members.length,
        admin: fromSite,
      });
    } catch (err) {
      if (!(err instanceof RoomError || err instanceof RoomOperationError)) throw err;
      this.#host.audit('security.room_key_rejected', {
        room,
        from: fromSite,
        error: err.name,
        message: err.message,
      });
    }
  }

  /** A `room-left` frame: the admin removed us. */
  onLeft(fromKey: Uint8Array, room: string): void {
    const j = this.#rooms.get(room);
    if (!j || j.admin || !constantTimeEqual(j.adminKey, fromKey)) return;
    this.#rooms.delete(room);
    this.#host.audit('room.member_removed', {
      room,
      site: this.#host.site,
      admin: j.adminSite,
    });
  }

  /** A `room-msg` frame: open it, deliver it here and, on the admin, relay it to the others. */
  onMessage(fromKey: Uint8Array, room: string, sealed: Uint8Array): void {
    const j = this.#rooms.get(room);
    if (!j) {
      this.#host.warn({ room }, 'room message for a room this site is not in: dropped');
      return;
    }
    const sender = this.#open(room, j, sealed);
    if (!sender || !j.admin) return;
    const frame = encodeFrame({ t: 'room-msg', room, m: sealed });
    for (const k of j.members) {
      if (constantTimeEqual(k, this.#host.publicKey) || constantTimeEqual(k, sender)) continue;
      if (constantTimeEqual(k, fromKey)) continue;
      const site = this.#host.siteOfKey(k);
      if (site) this.#host.sendToSite(site, frame);
    }
  }

  /** Opens a sealed message and delivers it here; the sender's key, or null when dropped. */
  #open(room: string, j: Joined, sealed: Uint8Array): Uint8Array | null {
    try {
      const m = j.state.open(sealed);
      const { from, body } = JSON.parse(fromUtf8.decode(m.plaintext)) as {
        from?: unknown;
        body?: unknown;
      };
      this.#host.deliver(room, {
        room,
        from: typeof from === 'string' ? from : this.#name(m.sender),
        sender: toHex(m.sender),
        epoch: m.epoch,
        seq: m.seq,
        body,
        at: Date.now(),
      });
      return m.sender;
    } catch (err) {
      this.#host.warn(
        { room, err: err instanceof Error ? err.message : String(err) },
        'room message dropped',
      );
      return null;
    }
  }

  #distribute(room: string, j: Joined, r: ReturnType<RoomAdmin['rotate']>): void {
    j.members = r.recipients;
    const frame = encodeFrame({ t: 'room-key', room, u: r.update });
    for (const k of r.recipients) {
      if (constantTimeEqual(k, this.#host.publicKey)) {
        j.state.applyKeyUpdate(r.update, this.#host.publicKey);
        continue;
      }
      const site = this.#host.siteOfKey(k);
      if (!site || !this.#host.sendToSite(site, frame)) {
        this.#host.warn(
          { room, member: toHex(k).slice(0, 16) },
          'room member not paired: no key sent',
        );
      }
    }
  }

  /** After the admin added or removed `site`: the change and the new epoch audited, the room. */
  #membersChanged(
    room: string,
    j: Joined,
    kind: 'room.member_added' | 'room.member_removed',
    site: string,
  ): RoomInfo {
    const epoch = j.admin!.epoch;
    this.#host.audit(kind, { room, site, epoch });
    this.#host.audit('room.key_rotated', { room, epoch, members: j.members.length });
    return this.info(room);
  }

  #require(room: string): Joined {
    const j = this.#rooms.get(room);
    if (!j) throw new RoomOperationError(`no room ${room} on this site: see troupe room list`);
    return j;
  }

  #requireAdmin(room: string): Joined {
    const j = this.#require(room);
    if (!j.admin) {
      throw new RoomOperationError(`only the room's admin (${j.adminSite}) can change its members`);
    }
    return j;
  }

  #name(key: Uint8Array): string {
    if (constantTimeEqual(key, this.#host.publicKey)) return this.#host.site;
    return this.#host.siteOfKey(key) ?? toHex(key).slice(0, 16);
  }
}
