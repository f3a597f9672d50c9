import { CloseCode } from '../../protocols/mesh/index.ts';
import { BridgeFrameError } from './errors.ts';
import {
  BRIDGE_CLOSE_BAD_FRAME,
  BRIDGE_PROTOCOL_VERSION,
  type BridgeFrame,
  decodeFrame,
  encodeFrame,
  type RoomFrame,
} from './frames.ts';
import type { LinkCloseReason } from './link/index.ts';
import type { PeerConn } from './peer-conn.ts';
import type { Forwarder } from './reencrypt-forwarder.ts';

/** Events a link's read loop posts to the bridge actor. */
export type LinkEvent =
  | { type: 'linkDown'; body: { conn: PeerConn; reason: string } }
  | { type: 'badFrame'; body: { conn: PeerConn; error: string; message: string } }
  | { type: 'roomFrame'; body: { conn: PeerConn; frame: RoomFrame } };

/** What a link's read loop needs from its bridge. */
export interface LinkReaderHost {
  readonly site: string;
  readonly advertise: readonly string[];
  readonly handshakeTimeoutMs: number;
  readonly forwarder: Forwarder;
  /** Asks the bridge actor whether this link may be `site`'s. */
  judgeHello(
    conn: PeerConn,
    site: string,
    endpoints: string[],
  ): Promise<{ ok: boolean; reason?: string | undefined }>;
  post(event: LinkEvent): void;
}

/**
 * One link's read loop: our hello out, the peer's hello first (judged by the actor), then its
 * traffic until the link closes; the close is posted as `linkDown`. Frames arrive decrypted by
 * the link: `nats` and `reply` frames go to the forwarder, room frames to the actor.
 */
export async function readLink(conn: PeerConn, host: LinkReaderHost): Promise<void> {
  const link = conn.link;
  conn.send(
    encodeFrame({
      t: 'hello',
      v: BRIDGE_PROTOCOL_VERSION,
      site: host.site,
      endpoints: [...host.advertise],
    }),
  );
  const helloTimer = setTimeout(() => {
    if (conn.site === null) void link.close('no hello in time', BRIDGE_CLOSE_BAD_FRAME);
  }, host.handshakeTimeoutMs);
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
        const e = error as BridgeFrameError;
        void link.close(e.message.slice(0, 200), BRIDGE_CLOSE_BAD_FRAME);
        host.post({ type: 'badFrame', body: { conn, error: e.name, message: e.message } });
        break;
      }
      switch (f.t) {
        case 'hello': {
          clearTimeout(helloTimer);
          const verdict = await host
            .judgeHello(conn, f.site, f.endpoints)
            .catch((err: Error) => ({ ok: false, reason: err.message }));
          if (!verdict.ok) {
            await link.close(verdict.reason ?? 'refused', CloseCode.revoked);
            return ended(conn, host);
          }
          break;
        }
        case 'nats':
          host.forwarder.inboundNats(conn.site!, f.s, f.r, f.d);
          break;
        case 'reply':
          host.forwarder.inboundReply(conn.site!, f.r, f.d);
          break;
        case 'ping':
          break;
        default:
          host.post({ type: 'roomFrame', body: { conn, frame: f } });
      }
    }
  } catch {
    // The link closed on an error; its close reason says which.
  }
  clearTimeout(helloTimer);
  return ended(conn, host);
}

async function ended(conn: PeerConn, host: LinkReaderHost): Promise<void> {
  const reason = await conn.link.closed;
  host.post({ type: 'linkDown', body: { conn, reason: describeClose(reason) } });
}

function describeClose(r: LinkCloseReason): string {
  if (r.by === 'error') return `${r.error.name}: ${r.error.message}`;
  return `closed by the ${r.by === 'local' ? 'local' : 'peer'} side (code ${r.code}${r.reason ? `: ${r.reason}` : ''})`;
}
