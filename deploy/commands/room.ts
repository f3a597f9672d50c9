import { type RoomDelivery, type RoomInfo, RoomOperationError } from '../../actors/bridge/index.ts';
import { roomSubject } from '../../protocols/subjects/index.ts';
import { onStopSignal } from '../stop-signal.ts';
import { type BridgeClientOptions, withBridge } from './mesh-client.ts';

type Out = (line: string) => void;

function roomLine(r: RoomInfo): string {
  const admin = r.isAdmin ? 'admin: this site' : `admin: ${r.admin}`;
  return `room ${r.room} (${admin}), epoch ${r.epoch}, members ${r.members.join(', ')}`;
}

/** `troupe room create <room>`: this site becomes the room's admin. */
export async function roomCreate(
  o: BridgeClientOptions & { room: string },
  out: Out,
): Promise<number> {
  const r = await withBridge(o, (sys, b, opts) => sys.ask(b, 'roomCreate', { room: o.room }, opts));
  out(roomLine(r));
  return 0;
}

/** Adding and removing a member differ only in the bridge's verb; both print the new room. */
function changeMember(verb: 'roomAdd' | 'roomRemove') {
  return async (
    o: BridgeClientOptions & { room: string; site: string },
    out: Out,
  ): Promise<number> => {
    const r = await withBridge(o, (sys, b, opts) =>
      sys.ask(b, verb, { room: o.room, site: o.site }, opts),
    );
    out(roomLine(r));
    return 0;
  };
}

/** `troupe room add <room> <site>`: a new epoch key goes to every member. */
export const roomAdd = changeMember('roomAdd');

/** `troupe room remove <room> <site>`: the removed site gets no later key. */
export const roomRemove = changeMember('roomRemove');

/** `troupe room send <room> <json|text>`: JSON when it parses, else the text as a string. */
export async function roomSend(
  o: BridgeClientOptions & { room: string; message: string },
  out: Out,
): Promise<number> {
  let body: unknown;
  try {
    body = JSON.parse(o.message);
  } catch {
    body = o.message;
  }
  const r = await withBridge(o, (sys, b, opts) =>
    sys.ask(b, 'roomSend', { room: o.room, body }, opts),
  );
  out(`sent to room ${r.room} (epoch ${r.epoch}, ${r.recipients} other site(s))`);
  return 0;
}

/** `troupe room list`: the rooms this site is in. */
export async function roomList(o: BridgeClientOptions, out: Out): Promise<number> {
  const rooms = await withBridge(o, (sys, b, opts) => sys.ask(b, 'rooms', {}, opts));
  if (rooms.length === 0) out('no rooms');
  for (const r of rooms) out(roomLine(r));
  return 0;
}

/**
 * `troupe room watch <room>`: prints this site's room messages as they arrive (the bridge
 * publishes each opened message as JSON on `troupe.<site>.room.<room>`), until a signal or,
 * with `count`, after that many.
 */
export async function roomWatch(
  o: BridgeClientOptions & { room: string; count?: number },
  out: Out,
): Promise<number> {
  await withBridge({ ...o, timeoutMs: o.timeoutMs ?? 5000 }, async (sys, b, opts) => {
    const rooms = await sys.ask(b, 'rooms', {}, opts);
    if (!rooms.some((r) => r.room === o.room)) {
      throw new RoomOperationError(`this site is not a member of room ${o.room}`);
    }
    const sub = sys.nats!.subscribe(roomSubject(sys.name, o.room), {
      ...(o.count ? { max: o.count } : {}),
    });
    await sys.nats!.flush();
    out(`watching room ${o.room}; Ctrl-C to stop`);
    const offSignal = onStopSignal(() => sub.unsubscribe());
    for await (const m of sub) {
      const d = JSON.parse(new TextDecoder().decode(m.data)) as RoomDelivery;
      out(
        `[${new Date(d.at).toISOString()}] ${d.from} (epoch ${d.epoch}): ${JSON.stringify(d.body)}`,
      );
    }
    offSignal();
  });
  return 0;
}
