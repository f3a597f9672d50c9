import type { CryptoBackend } from '../crypto/index.ts';
import { concatBytes, constantTimeEqual, nodeBackend, toHex, wipe } from '../crypto/index.ts';
import { RoomEpochError, RoomKeyUpdateError, RoomMessageError, RoomReplayError } from './errors.ts';
import { ReplayWindow } from './replay-window.ts';
import {
  decodeRoomKeyUpdate,
  encodeRoomKeyUpdate,
  ROOM_ID_LENGTH,
  ROOM_KEY_LENGTH,
  type RoomKeyUpdate,
} from './room-key.ts';

const VERSION = 1;
/** ver ‖ room id ‖ epoch ‖ sender ‖ seq: authenticated as associated data. */
const HEADER_LENGTH = 1 + ROOM_ID_LENGTH + 4 + 32 + 8;
const NONCE_LENGTH = 24;
const TAG_LENGTH = 16;
const MESSAGE_KEY_LABEL = new TextEncoder().encode('troupe/room-msg/v1');

/** A room message once opened. */
export interface RoomMessage {
  sender: Uint8Array;
  epoch: number;
  seq: number;
  plaintext: Uint8Array;
}

interface Epoch {
  epoch: number;
  /** Per-epoch message key: HKDF(room key, salt = room id, info = label ‖ epoch). */
  key: Uint8Array;
  members: Set<string>;
  seq: number;
  windows: Map<string, ReplayWindow>;
}

export interface RoomStateOptions {
  roomId: Uint8Array;
  /** Our static public key. */
  self: Uint8Array;
  /** The only key allowed to send key updates (checked against the link's authenticated peer). */
  admin: Uint8Array;
  backend?: CryptoBackend;
  /** Earlier epochs kept for late messages. Default 1. */
  retainEpochs?: number;
  /** Replay window per sender and epoch. Default 1024. */
  replayWindow?: number;
  /** Random 24-byte nonces; injectable for tests. */
  randomBytes?: (n: number) => Uint8Array;
}

/**
 * One member's view of a room: epoch keys (newest plus a few retained), and sealing/opening of
 * room messages with XChaCha20-Poly1305 under random nonces, so senders need no coordination.
 * A removed member receives no later key update, so it cannot open later epochs.
 */
export class RoomState {
  readonly roomId: Uint8Array;
  readonly #self: Uint8Array;
  readonly #admin: Uint8Array;
  readonly #backend: CryptoBackend;
  readonly #retain: number;
  readonly #windowSize: number;
  readonly #random: (n: number) => Uint8Array;
  readonly #epochs = new Map<number, Epoch>();
  #current: Epoch | null = null;

  constructor(options: RoomStateOptions) {
    if (options.roomId.length !== ROOM_ID_LENGTH) throw new RangeError('a room id is 16 bytes');
    this.roomId = options.roomId.slice();
    this.#self = options.self.slice();
    this.#admin = options.admin.slice();
    this.#backend = options.backend ?? nodeBackend;
    this.#retain = options.retainEpochs ?? 1;
    this.#windowSize = options.replayWindow ?? 1024;
    this.#random = options.randomBytes ?? ((n) => this.#backend.randomBytes(n));
  }

  /** The newest epoch we hold, or undefined before the first key update. */
  get epoch(): number | undefined {
    return this.#current?.epoch;
  }

  /**
   * Applies a key update received over the pairwise link from `from` (the link's authenticated
   * peer key). Only the admin may rotate, only forward (no rollback), and only to a roster that
   * still includes us.
   */
  applyKeyUpdate(update: Uint8Array | RoomKeyUpdate, from: Uint8Array): void {
    const u = update instanceof Uint8Array ? decodeRoomKeyUpdate(update) : update;
    if (!constantTimeEqual(from, this.#admin)) {
      throw new RoomKeyUpdateError(
        'a room key update from a peer that is not the room admin: ignored',
      );
    }
    if (!constantTimeEqual(u.roomId, this.roomId)) {
      throw new RoomKeyUpdateError('a room key update for another room');
    }
    if (this.#current && u.epoch <= this.#current.epoch) {
      throw new RoomKeyUpdateError(
        `a room key update for epoch ${u.epoch}, not after our epoch ${this.#current.epoch}: rollback refused`,
      );
    }
    const members = new Set(u.members.map(toHex));
    if (!members.has(toHex(this.#self))) {
      throw new RoomKeyUpdateError(
        'a room key update whose roster does not include us: we were removed',
      );
    }
    const epoch: Epoch = {
      epoch: u.epoch,
      key: deriveMessageKey(this.#backend, u.key, this.roomId, u.epoch),
      members,
      seq: 0,
      windows: new Map(),
    };
    this.#epochs.set(u.epoch, epoch);
    this.#current = epoch;
    const keep = [...this.#epochs.keys()].sort((a, b) => b - a).slice(0, this.#retain + 1);
    for (const [n, e] of this.#epochs) {
      if (!keep.includes(n)) {
        wipe(e.key);
        this.#epochs.delete(n);
      }
    }
  }

  /** Seals a message under the newest epoch. */
  seal(plaintext: Uint8Array): Uint8Array {
    const e = this.#current;
    if (!e) throw new RoomEpochError('no room key yet: wait for the admin to send one');
    e.seq++;
    const header = encodeHeader(this.roomId, e.epoch, this.#self, e.seq);
    const nonce = this.#random(NONCE_LENGTH);
    if (nonce.length !== NONCE_LENGTH) throw new RangeError('a room nonce is 24 bytes');
    const ct = this.#backend.xchachaSeal(e.key, nonce, header, plaintext);
    return concatBytes(header, nonce, ct);
  }

  /** Opens a room message, or throws a typed RoomError (callers drop the message). */
  open(message: Uint8Array): RoomMessage {
    if (message.length < HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH || message[0] !== VERSION) {
      throw new RoomMessageError('a room message that is truncated or of an unknown version');
    }
    const header = message.subarray(0, HEADER_LENGTH);
    const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
    const roomId = message.subarray(1, 1 + ROOM_ID_LENGTH);
    const epochNumber = view.getUint32(1 + ROOM_ID_LENGTH);
    const sender = message.slice(1 + ROOM_ID_LENGTH + 4, 1 + ROOM_ID_LENGTH + 4 + 32);
    const seqBig = view.getBigUint64(HEADER_LENGTH - 8);
    if (!constantTimeEqual(roomId, this.roomId))
      throw new RoomMessageError('a message for another room');
    const e = this.#epochs.get(epochNumber);
    if (!e) {
      throw new RoomEpochError(
        `no key for epoch ${epochNumber} (we hold ${[...this.#epochs.keys()].join(', ') || 'none'}): ` +
          'too old, or from an epoch we were not given',
      );
    }
    const senderHex = toHex(sender);
    if (!e.members.has(senderHex)) {
      throw new RoomMessageError(`the sender is not a member of epoch ${epochNumber}`);
    }
    // A member removed since cannot keep talking under a retained older epoch.
    if (e !== this.#current && !this.#current!.members.has(senderHex)) {
      throw new RoomMessageError('the sender was removed from the room since that epoch');
    }
    if (seqBig > BigInt(Number.MAX_SAFE_INTEGER))
      throw new RoomMessageError('sequence out of range');
    const seq = Number(seqBig);
    let window = e.windows.get(senderHex);
    const seen = window?.check(seq) ?? 'ok';
    if (seen !== 'ok') {
      throw new RoomReplayError(
        seen === 'replay'
          ? `message ${seq} from this sender in epoch ${epochNumber} was already seen: replay dropped`
          : `message ${seq} is older than the replay window: dropped`,
      );
    }
    const nonce = message.subarray(HEADER_LENGTH, HEADER_LENGTH + NONCE_LENGTH);
    const plaintext = this.#backend.xchachaOpen(
      e.key,
      nonce,
      header,
      message.subarray(HEADER_LENGTH + NONCE_LENGTH),
    );
    if (!plaintext) {
      throw new RoomMessageError('a room message failed authentication: tampered or forged');
    }
    if (!window) {
      window = new ReplayWindow(this.#windowSize);
      e.windows.set(senderHex, window);
    }
    window.mark(seq);
    return { sender, epoch: epochNumber, seq, plaintext };
  }
}

/**
 * The admin's side: owns the roster and makes a fresh key for every membership change (and on
 * demand, e.g. daily). Deliver `update` to every key in `recipients` over its pairwise link.
 */
export class RoomAdmin {
  readonly roomId: Uint8Array;
  readonly #backend: CryptoBackend;
  readonly #members = new Map<string, Uint8Array>();
  #epoch = 0;

  constructor(options: {
    roomId?: Uint8Array;
    admin: Uint8Array;
    members?: Uint8Array[];
    backend?: CryptoBackend;
  }) {
    this.#backend = options.backend ?? nodeBackend;
    this.roomId = options.roomId?.slice() ?? this.#backend.randomBytes(ROOM_ID_LENGTH);
    for (const m of [options.admin, ...(options.members ?? [])])
      this.#members.set(toHex(m), m.slice());
  }

  get epoch(): number {
    return this.#epoch;
  }

  get members(): Uint8Array[] {
    return [...this.#members.values()].map((m) => m.slice());
  }

  /** A new epoch for the current roster. */
  rotate(): { update: Uint8Array; epoch: number; recipients: Uint8Array[] } {
    if (this.#epoch >= 0xffff_ffff)
      throw new RangeError('the room ran out of epochs: make a new room');
    this.#epoch++;
    const key = this.#backend.randomBytes(ROOM_KEY_LENGTH);
    const members = this.members;
    const update = encodeRoomKeyUpdate({ roomId: this.roomId, epoch: this.#epoch, key, members });
    wipe(key);
    return { update, epoch: this.#epoch, recipients: members };
  }

  add(member: Uint8Array): ReturnType<RoomAdmin['rotate']> {
    this.#members.set(toHex(member), member.slice());
    return this.rotate();
  }

  remove(member: Uint8Array): ReturnType<RoomAdmin['rotate']> {
    this.#members.delete(toHex(member));
    return this.rotate();
  }
}

function encodeHeader(
  roomId: Uint8Array,
  epoch: number,
  sender: Uint8Array,
  seq: number,
): Uint8Array {
  const h = new Uint8Array(HEADER_LENGTH);
  const view = new DataView(h.buffer);
  h[0] = VERSION;
  h.set(roomId, 1);
  view.setUint32(1 + ROOM_ID_LENGTH, epoch);
  h.set(sender, 1 + ROOM_ID_LENGTH + 4);
  view.setBigUint64(HEADER_LENGTH - 8, BigInt(seq));
  return h;
}

function deriveMessageKey(
  backend: CryptoBackend,
  roomKey: Uint8Array,
  roomId: Uint8Array,
  epoch: number,
): Uint8Array {
  if (roomKey.length !== ROOM_KEY_LENGTH) throw new RoomKeyUpdateError('a room key is 32 bytes');
  const e = new Uint8Array(4);
  new DataView(e.buffer).setUint32(0, epoch);
  return backend.hkdf(roomKey, roomId, concatBytes(MESSAGE_KEY_LABEL, e), 32);
}
