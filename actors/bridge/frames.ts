import { Decoder, Encoder } from '@msgpack/msgpack';
import { z } from 'zod';
import { MsgpackReader, MsgpackWriter } from '../../protocols/envelope/index.ts';
import { BridgeFrameError } from './errors.ts';
import { Endpoint, SiteName } from './roster.ts';

/** Version of the bridge's own frames (inside the link), sent in `hello`. */
export const BRIDGE_PROTOCOL_VERSION = 1;

/** Close code the bridge sends when a peer's frame is not valid bridge traffic. */
export const BRIDGE_CLOSE_BAD_FRAME = 0x100;

const Bytes = z
  .custom<Uint8Array>((v) => v instanceof Uint8Array, 'bytes')
  .refine((b) => b.length > 0, 'empty bytes');
/** What follows `troupe.<local>.mesh.<site>.`: an actor (`a.<path…>`) or a sharded type (`t.<type>`). */
const TAIL = /^(a(\.[A-Za-z0-9_-]{1,128}){1,64}|t\.[A-Za-z0-9_-]{1,128})$/;
export const SubjectTail = z.string().max(4096).regex(TAIL, 'a.<path…> or t.<type>');
export const RoomName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a room name: A-Z a-z 0-9 _ -');
/** A reply route id: the sender's handle for an asker's inbox, never a subject. */
const ReplyId = z.number().int().nonnegative().max(0xffff_ffff);

const Hello = z.object({
  t: z.literal('hello'),
  v: z.literal(BRIDGE_PROTOCOL_VERSION),
  site: SiteName,
  endpoints: z.array(Endpoint).max(16),
});
const Nats = z.object({ t: z.literal('nats'), s: SubjectTail, r: ReplyId.nullable(), d: Bytes });
const Reply = z.object({ t: z.literal('reply'), r: ReplyId, d: Bytes });
const RoomKey = z.object({ t: z.literal('room-key'), room: RoomName, u: Bytes });
const RoomLeft = z.object({ t: z.literal('room-left'), room: RoomName });
const RoomMsg = z.object({ t: z.literal('room-msg'), room: RoomName, m: Bytes });
const Ping = z.object({ t: z.literal('ping') });

/**
 * Everything a bridge sends inside a link, as one MessagePack map per link frame. Unknown keys
 * are ignored (room for additions); an unknown `t` or a bad field closes the link.
 */
export const BridgeFrameSchema = z.discriminatedUnion('t', [
  Hello,
  Nats,
  Reply,
  RoomKey,
  RoomLeft,
  RoomMsg,
  Ping,
]);
export type BridgeFrame = z.output<typeof BridgeFrameSchema>;
/** The frames the bridge actor handles itself (rooms); the rest never leave the read loop. */
export const RoomFrameSchema = z.discriminatedUnion('t', [RoomKey, RoomLeft, RoomMsg]);
export type RoomFrame = z.output<typeof RoomFrameSchema>;
export type HelloFrame = z.output<typeof Hello>;

const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

/** One frame's bytes (its own array: the link may hold it while the socket drains). */
export function encodeFrame(frame: BridgeFrame): Uint8Array {
  if (frame.t === 'nats' || frame.t === 'reply') return encodeTraffic(frame);
  return encoder.encode(frame);
}

/**
 * Traffic frames are most of what a link carries: written by hand (the same MessagePack the
 * general encoder makes, keys in the same order) with one copy of the batch, and read back on
 * a fast path that checks exactly what the schema checks.
 */
function encodeTraffic(
  f: Extract<BridgeFrame, { t: 'nats' }> | Extract<BridgeFrame, { t: 'reply' }>,
): Uint8Array {
  const w = new MsgpackWriter(f.d.length + (f.t === 'nats' ? f.s.length : 0) + 40);
  if (f.t === 'nats') {
    w.buf.set(NATS_HEAD, 0);
    w.pos = NATS_HEAD.length;
    w.str(f.s);
    w.str('r');
    if (f.r === null) w.nil();
    else w.uint(f.r);
  } else {
    w.buf.set(REPLY_HEAD, 0);
    w.pos = REPLY_HEAD.length;
    w.uint(f.r);
  }
  w.str('d');
  w.bin(f.d);
  return w.buf.subarray(0, w.pos);
}

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
/**
 * The first bytes of a traffic frame: a map of `entries` keys (fixmap), its `t` (fixstr) and the
 * name of the key that follows `t`. Keys are one letter and types short, so fix formats fit.
 */
const trafficHead = (entries: number, type: string, nextKey: string) =>
  new Uint8Array([
    0x80 | entries,
    0xa1,
    ...ascii('t'),
    0xa0 | type.length,
    ...ascii(type),
    0xa1,
    ...ascii(nextKey),
  ]);
/** `{t: 'nats', s:` and `{t: 'reply', r:` as MessagePack. */
const NATS_HEAD = trafficHead(4, 'nats', 's');
const REPLY_HEAD = trafficHead(3, 'reply', 'r');

function startsWith(bytes: Uint8Array, head: Uint8Array): boolean {
  if (bytes.length < head.length) return false;
  for (let i = 0; i < head.length; i++) if (bytes[i] !== head[i]) return false;
  return true;
}

/** A traffic frame in the exact shape encodeTraffic writes, validated; null for anything else. */
function decodeTraffic(bytes: Uint8Array): BridgeFrame | null {
  try {
    if (startsWith(bytes, NATS_HEAD)) {
      const r = new MsgpackReader(bytes, NATS_HEAD.length);
      const s = r.str();
      if (r.str() !== 'r') return null;
      const route = r.nil() ? null : r.uint();
      if (r.str() !== 'd') return null;
      const d = r.bin();
      if (!r.done || d.length === 0 || s.length > 4096 || !TAIL.test(s)) return null;
      if (route !== null && route > 0xffff_ffff) return null;
      return { t: 'nats', s, r: route, d };
    }
    if (startsWith(bytes, REPLY_HEAD)) {
      const r = new MsgpackReader(bytes, REPLY_HEAD.length);
      const route = r.uint();
      if (r.str() !== 'd') return null;
      const d = r.bin();
      if (!r.done || d.length === 0 || route > 0xffff_ffff) return null;
      return { t: 'reply', r: route, d };
    }
  } catch {
    // Not the fast shape: the general path below gives the precise error.
  }
  return null;
}

/** Parses and validates a frame from a peer; anything else is a BridgeFrameError. */
export function decodeFrame(bytes: Uint8Array): BridgeFrame {
  const fast = decodeTraffic(bytes);
  if (fast !== null) return fast;
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (cause) {
    throw new BridgeFrameError(`a link frame that is not MessagePack: ${String(cause)}`, {
      cause,
    });
  }
  const parsed = BridgeFrameSchema.safeParse(value);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const t =
      typeof value === 'object' && value !== null && 't' in value
        ? String((value as { t: unknown }).t).slice(0, 32)
        : '?';
    throw new BridgeFrameError(
      `a bad link frame (t=${t}): ${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
    );
  }
  return parsed.data;
}
