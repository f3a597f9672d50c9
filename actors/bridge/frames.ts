import { Decoder, Encoder } from '@msgpack/msgpack';
import { z } from 'zod';
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
export const SubjectTail = z
  .string()
  .max(4096)
  .regex(/^(a(\.[A-Za-z0-9_-]{1,128}){1,64}|t\.[A-Za-z0-9_-]{1,128})$/, 'a.<path…> or t.<type>');
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
  return encoder.encode(frame);
}

/** Parses and validates a frame from a peer; anything else is a BridgeFrameError. */
export function decodeFrame(bytes: Uint8Array): BridgeFrame {
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
