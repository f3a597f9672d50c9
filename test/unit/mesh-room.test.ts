import { describe, expect, it } from 'vitest';
import { nobleBackend, nodeBackend, toHex, x25519KeyPair } from '../../protocols/crypto/index.ts';
import {
  decodeRoomKeyUpdate,
  ReplayWindow,
  RoomAdmin,
  RoomEpochError,
  RoomKeyUpdateError,
  RoomMessageError,
  RoomReplayError,
  RoomState,
} from '../../protocols/mesh/index.ts';

const key = () => x25519KeyPair(nodeBackend).publicKey;
const text = (s: string) => new TextEncoder().encode(s);
const read = (b: Uint8Array) => new TextDecoder().decode(b);

function room(memberCount = 3) {
  const admin = key();
  const members = Array.from({ length: memberCount }, key);
  const ra = new RoomAdmin({ admin, members });
  const state = (self: Uint8Array) => new RoomState({ roomId: ra.roomId, self, admin });
  const states = new Map([admin, ...members].map((m) => [toHex(m), state(m)]));
  const deliver = (r: ReturnType<RoomAdmin['rotate']>) => {
    for (const m of r.recipients) states.get(toHex(m))!.applyKeyUpdate(r.update, admin);
  };
  deliver(ra.rotate());
  return { admin, members, ra, states, deliver, of: (m: Uint8Array) => states.get(toHex(m))! };
}

describe('room epochs', () => {
  it('every member reads every other member', () => {
    const { admin, members, of } = room();
    const sealed = of(members[0]!).seal(text('hi all'));
    for (const m of [admin, ...members.slice(1)]) {
      const msg = of(m).open(sealed);
      expect(read(msg.plaintext)).toBe('hi all');
      expect(toHex(msg.sender)).toBe(toHex(members[0]!));
    }
  });

  it('a removed member cannot read messages of later epochs', () => {
    const { admin, members, ra, of, deliver } = room();
    const removed = members[2]!;
    const before = of(removed);
    const rotation = ra.remove(removed);
    expect(rotation.recipients.map(toHex)).not.toContain(toHex(removed));
    deliver(rotation);
    const later = of(members[0]!).seal(text('after removal'));
    expect(read(of(admin).open(later).plaintext)).toBe('after removal');
    expect(() => before.open(later)).toThrow(RoomEpochError);
    // Relabelling the message with the old epoch does not help: the AD and key both differ.
    const relabelled = later.slice();
    new DataView(relabelled.buffer).setUint32(17, 1);
    expect(() => before.open(relabelled)).toThrow(RoomMessageError);
    // Nor can it keep talking under the old epoch: the others know it left.
    const stale = before.seal(text('still here?'));
    expect(() => of(members[0]!).open(stale)).toThrow(RoomMessageError);
  });

  it('a new member cannot read messages from before it joined', () => {
    const { admin, ra, of, states } = room(2);
    const early = of(admin).seal(text('before you came'));
    const newcomer = key();
    const rotation = ra.add(newcomer);
    states.set(toHex(newcomer), new RoomState({ roomId: ra.roomId, self: newcomer, admin }));
    for (const m of rotation.recipients)
      states.get(toHex(m))!.applyKeyUpdate(rotation.update, admin);
    expect(() => of(newcomer).open(early)).toThrow(RoomEpochError);
  });

  it('drops replays and messages older than the window', () => {
    const { admin, members, of } = room();
    const sender = of(members[0]!);
    const first = sender.seal(text('once'));
    of(admin).open(first);
    expect(() => of(admin).open(first)).toThrow(RoomReplayError);
    const w = new ReplayWindow(16);
    w.mark(100);
    expect(w.check(84)).toBe('stale');
    expect(w.check(85)).toBe('ok');
    expect(w.check(100)).toBe('replay');
    w.mark(90);
    expect(w.check(90)).toBe('replay');
    w.mark(200);
    expect(w.check(190)).toBe('ok');
  });

  it('accepts out-of-order messages inside the window', () => {
    const { admin, members, of } = room();
    const s = of(members[1]!);
    const m = [s.seal(text('1')), s.seal(text('2')), s.seal(text('3'))];
    for (const i of [2, 0, 1]) expect(read(of(admin).open(m[i]!).plaintext)).toBe(String(i + 1));
  });

  it('refuses key updates from a non-admin, rollbacks and rosters without us', () => {
    const { admin, members, ra, of } = room();
    const r2 = ra.rotate();
    expect(() => of(members[0]!).applyKeyUpdate(r2.update, members[1]!)).toThrow(
      RoomKeyUpdateError,
    );
    of(members[0]!).applyKeyUpdate(r2.update, admin);
    expect(() => of(members[0]!).applyKeyUpdate(r2.update, admin)).toThrow(/rollback/);
    const u = decodeRoomKeyUpdate(ra.remove(members[0]!).update);
    expect(() => of(members[0]!).applyKeyUpdate({ ...u }, admin)).toThrow(/removed/);
  });

  it('refuses a sender outside the roster and a tampered message', () => {
    const { admin, members, ra, of } = room();
    const outsider = new RoomState({ roomId: ra.roomId, self: key(), admin });
    expect(() => outsider.seal(text('x'))).toThrow(RoomEpochError);
    const m = of(members[0]!).seal(text('hello'));
    const bad = m.slice();
    bad[bad.length - 1]! ^= 1;
    expect(() => of(admin).open(bad)).toThrow(RoomMessageError);
    // A member claiming to be another (same key, sender field swapped) fails: the AD binds the sender.
    const spoof = m.slice();
    spoof.set(members[1]!, 21);
    expect(() => of(admin).open(spoof)).toThrow(RoomMessageError);
  });

  it('node:crypto and @noble seal room messages identically', () => {
    const admin = key();
    const ra = new RoomAdmin({ admin });
    const r = ra.rotate();
    const nonce = () => new Uint8Array(24).fill(5);
    const [x, y] = [nodeBackend, nobleBackend].map((backend) => {
      const s = new RoomState({
        roomId: ra.roomId,
        self: admin,
        admin,
        backend,
        randomBytes: nonce,
      });
      s.applyKeyUpdate(r.update, admin);
      return s;
    });
    const a = x!.seal(text('same bytes'));
    expect(toHex(a)).toBe(toHex(y!.seal(text('same bytes'))));
  });
});
