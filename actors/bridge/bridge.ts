import {
  type ActorRef,
  type ActorSystem,
  type AskContext,
  defineActor,
  type ProtocolOf,
} from '../../runtime/index.ts';
import { MeshBridge } from './mesh-bridge.ts';
import { type BridgeOptions, parseBridgeOptions } from './options.ts';
import { bridgeAsks, bridgeTells } from './protocol.ts';

/**
 * Answers an ask with what `work` returns, or with the typed error it throws. A thrown error
 * must not fail the handler: the kernel would answer ActorFailed and restart the actor.
 */
async function answer<R>(ctx: AskContext<R>, work: () => R | Promise<R>): Promise<void> {
  let value: R;
  try {
    value = await work();
  } catch (err) {
    ctx.deferReply().fail(err instanceof Error ? err : new Error(String(err)));
    return;
  }
  ctx.reply(value);
}

/**
 * The mesh bridge of one site. Its state is the bridge machinery, passed in at spawn (so a
 * restart after a failed handler keeps the sockets); every change to the roster, to which link
 * serves which site, and every audit event happens here, one message at a time.
 */
export const BridgeActor = defineActor({
  type: 'mesh-bridge',
  state: (bridge: MeshBridge) => ({ bridge }),
  tells: bridgeTells,
  asks: bridgeAsks,
  mailbox: { capacity: 100_000 },
  onStart: (s, ctx) => {
    s.bridge.start(ctx.timers);
  },
  onStop: async (s) => {
    await s.bridge.close();
  },
  handle: {
    redial: (s, m, ctx) => {
      s.bridge.redial(m.site, ctx.timers);
    },
    linkDown: (s, m, ctx) => {
      s.bridge.linkDown(m.conn, m.reason, ctx.timers);
    },
    linkFailed: (s, m, ctx) => {
      s.bridge.linkFailed(m.failure, ctx.timers);
    },
    badFrame: (s, m) => {
      s.bridge.badFrame(m.conn, m.error, m.message);
    },
    roomFrame: (s, m) => {
      s.bridge.roomFrame(m.conn, m.frame);
    },
    peerHello: (s, m, ctx) =>
      answer(ctx, () => s.bridge.hello(m.conn, m.site, m.endpoints, ctx.timers)),
    status: (s, _m, ctx) => answer(ctx, () => s.bridge.status()),
    peers: (s, _m, ctx) => answer(ctx, () => s.bridge.peers()),
    invite: (s, m, ctx) => answer(ctx, () => s.bridge.invite(m)),
    join: async (s, m, ctx) => {
      await s.bridge.join(m.token, ctx.deferReply());
    },
    forget: (s, m, ctx) => answer(ctx, () => s.bridge.forget(m.site, ctx.timers)),
    rooms: (s, _m, ctx) => answer(ctx, () => s.bridge.rooms.list()),
    roomCreate: (s, m, ctx) => answer(ctx, () => s.bridge.rooms.create(m.room)),
    roomAdd: (s, m, ctx) => answer(ctx, () => s.bridge.rooms.add(m.room, m.site)),
    roomRemove: (s, m, ctx) => answer(ctx, () => s.bridge.rooms.remove(m.room, m.site)),
    roomSend: (s, m, ctx) => answer(ctx, () => s.bridge.roomSend(m.room, m.body)),
  },
});

export type BridgeProtocol = ProtocolOf<typeof BridgeActor>;

/** A running bridge: its actor, where it listens, and its key. */
export interface BridgeHandle {
  readonly ref: ActorRef<BridgeProtocol>;
  /** `host:port` it listens on (the real port when 0 was asked for). */
  readonly listen: string;
  /** What invites and hellos tell peers to dial. */
  readonly advertise: readonly string[];
  readonly publicKey: Uint8Array;
  readonly fingerprint: string;
  /** Stops the bridge actor (closing its links with goingAway). */
  stop(): Promise<void>;
}

/**
 * Starts the mesh bridge of `system`'s site: loads the site directory made by `troupe mesh init`,
 * listens for peers, dials the peers it dials, and carries `troupe.<site>.mesh.<peer>.>` to
 * them. Throws BridgeNeedsNatsError on an embedded system, InvalidArgument on bad options,
 * IdentityError / RosterError on a bad site directory, ListenError when the address is taken.
 */
export async function startBridge(
  system: ActorSystem,
  options: BridgeOptions = {},
): Promise<BridgeHandle> {
  const o = parseBridgeOptions(options);
  const bridge = await MeshBridge.open(system, o);
  let ref: ActorRef<BridgeProtocol>;
  try {
    ref = system.spawn(BridgeActor, { name: o.path, args: bridge });
  } catch (err) {
    await bridge.close();
    throw err;
  }
  await system.flush();
  const { fingerprint } = bridge.status();
  return {
    ref,
    listen: bridge.listenAddress,
    advertise: bridge.advertise,
    publicKey: bridge.publicKey,
    fingerprint,
    stop: () => system.stop(ref),
  };
}
