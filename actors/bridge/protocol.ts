import { z } from 'zod';
import { RoomFrameSchema, RoomName } from './frames.ts';
import { LinkFailure } from './link-failure.ts';
import { PeerConn } from './peer-conn.ts';
import { Endpoint, SiteName } from './roster.ts';

/** One paired site as `troupe mesh peers` shows it. */
export const PeerInfoSchema = z.object({
  site: z.string(),
  fingerprint: z.string(),
  publicKey: z.string(),
  endpoints: z.array(z.string()),
  /** This site dials the peer (it joined through the peer's invite). */
  dial: z.boolean(),
  connected: z.boolean(),
  /** Frames waiting for the link to come back. */
  held: z.number(),
});
export type PeerInfo = z.output<typeof PeerInfoSchema>;

export const StatusSchema = z.object({
  site: z.string(),
  meshId: z.string(),
  publicKey: z.string(),
  fingerprint: z.string(),
  listen: z.string(),
  advertise: z.array(z.string()),
  peers: z.array(PeerInfoSchema),
  /** Connections the listener refused (half-open cap or handshake rate). */
  refused: z.number(),
  halfOpen: z.number(),
  forwarded: z.record(z.string(), z.number()),
});
export type BridgeStatus = z.output<typeof StatusSchema>;

export const InviteRequestSchema = z
  .object({
    ttlMs: z
      .number()
      .int()
      .positive()
      .max(7 * 24 * 3600_000)
      .optional(),
    label: z.string().max(200).optional(),
    maxUses: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

export const InviteReplySchema = z.object({
  token: z.string(),
  inviteId: z.string(),
  expiresAt: z.number(),
  endpoints: z.array(z.string()),
});

export const JoinReplySchema = z.object({
  site: z.string(),
  fingerprint: z.string(),
  endpoints: z.array(z.string()),
});

export const RoomInfoSchema = z.object({
  room: z.string(),
  admin: z.string(),
  isAdmin: z.boolean(),
  epoch: z.number(),
  members: z.array(z.string()),
});

const Site = z.object({ site: SiteName }).strict();
const Room = z.object({ room: RoomName }).strict();
const RoomMember = z.object({ room: RoomName, site: SiteName }).strict();

/** What the bridge actor answers: the CLI's commands, and its own link events. */
export const bridgeTells = {
  /** A backoff timer fired: dial the site if it still has no link. */
  redial: Site,
  /** Internal: a link closed (its read loop ended). */
  linkDown: z.object({ conn: z.instanceof(PeerConn), reason: z.string() }),
  /** Internal: a dial or an accept failed before the link opened. */
  linkFailed: z.object({ failure: z.instanceof(LinkFailure) }),
  /** Internal: a peer sent a frame that is not bridge traffic; the link is closed. */
  badFrame: z.object({ conn: z.instanceof(PeerConn), error: z.string(), message: z.string() }),
  /** Internal: a room frame arrived on a peer's link. */
  roomFrame: z.object({ conn: z.instanceof(PeerConn), frame: RoomFrameSchema }),
};

export const bridgeAsks = {
  status: { request: z.object({}).strict(), reply: StatusSchema },
  peers: { request: z.object({}).strict(), reply: z.array(PeerInfoSchema) },
  invite: { request: InviteRequestSchema, reply: InviteReplySchema },
  join: {
    request: z.object({ token: z.string().min(1).max(4096) }).strict(),
    reply: JoinReplySchema,
  },
  /** Unpair a site: drop it from the roster and close its link. */
  forget: { request: Site, reply: z.object({ site: z.string(), fingerprint: z.string() }) },
  rooms: { request: z.object({}).strict(), reply: z.array(RoomInfoSchema) },
  roomCreate: { request: Room, reply: RoomInfoSchema },
  roomAdd: { request: RoomMember, reply: RoomInfoSchema },
  roomRemove: { request: RoomMember, reply: RoomInfoSchema },
  roomSend: {
    request: z.object({ room: RoomName, body: z.unknown() }).strict(),
    reply: z.object({ room: z.string(), epoch: z.number(), recipients: z.number() }),
  },
  /** Internal: the peer's first frame on a new link; the actor admits the link or refuses it. */
  peerHello: {
    request: z.object({
      conn: z.instanceof(PeerConn),
      site: SiteName,
      endpoints: z.array(Endpoint).max(16),
    }),
    reply: z.object({ ok: z.boolean(), reason: z.string().optional() }),
  },
};
