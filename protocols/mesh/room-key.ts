import { concatBytes } from '../crypto/index.ts';
import { RoomKeyUpdateError } from './errors.ts';

export const ROOM_ID_LENGTH = 16;
export const ROOM_KEY_LENGTH = 32;
const VERSION = 1;
const MAX_MEMBERS = 4096;

/**
 * A new room epoch: its key and its roster. The admin sends one to each member over that member's
 * pairwise Noise link, so the key inherits the link's hybrid post-quantum confidentiality.
 */
export interface RoomKeyUpdate {
  roomId: Uint8Array;
  /** u32, strictly increasing. */
  epoch: number;
  key: Uint8Array;
  /** Static public keys of every member of this epoch (the admin included). */
  members: Uint8Array[];
}

/** ver(1) ‖ room id(16) ‖ epoch(u32) ‖ key(32) ‖ count(u16) ‖ members(32 each). */
export function encodeRoomKeyUpdate(update: RoomKeyUpdate): Uint8Array {
  if (update.roomId.length !== ROOM_ID_LENGTH) throw new RangeError('a room id is 16 bytes');
  if (update.key.length !== ROOM_KEY_LENGTH) throw new RangeError('a room key is 32 bytes');
  if (!Number.isInteger(update.epoch) || update.epoch < 0 || update.epoch > 0xffff_ffff) {
    throw new RangeError(`a room epoch is a u32, got ${update.epoch}`);
  }
  if (update.members.length > MAX_MEMBERS) throw new RangeError(`at most ${MAX_MEMBERS} members`);
  const head = new Uint8Array(1 + ROOM_ID_LENGTH + 4 + ROOM_KEY_LENGTH + 2);
  const view = new DataView(head.buffer);
  head[0] = VERSION;
  head.set(update.roomId, 1);
  view.setUint32(1 + ROOM_ID_LENGTH, update.epoch);
  head.set(update.key, 1 + ROOM_ID_LENGTH + 4);
  view.setUint16(head.length - 2, update.members.length);
  for (const m of update.members)
    if (m.length !== 32) throw new RangeError('a member key is 32 bytes');
  return concatBytes(head, ...update.members);
}

export function decodeRoomKeyUpdate(bytes: Uint8Array): RoomKeyUpdate {
  const headLength = 1 + ROOM_ID_LENGTH + 4 + ROOM_KEY_LENGTH + 2;
  if (bytes.length < headLength || bytes[0] !== VERSION) {
    throw new RoomKeyUpdateError('a room key update that is truncated or of an unknown version');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint16(headLength - 2);
  if (bytes.length !== headLength + 32 * count) {
    throw new RoomKeyUpdateError(
      `a room key update of ${bytes.length} bytes does not hold ${count} members`,
    );
  }
  const members: Uint8Array[] = [];
  for (let i = 0; i < count; i++)
    members.push(bytes.slice(headLength + 32 * i, headLength + 32 * (i + 1)));
  return {
    roomId: bytes.slice(1, 1 + ROOM_ID_LENGTH),
    epoch: view.getUint32(1 + ROOM_ID_LENGTH),
    key: bytes.slice(1 + ROOM_ID_LENGTH + 4, 1 + ROOM_ID_LENGTH + 4 + ROOM_KEY_LENGTH),
    members,
  };
}
