import { type KeyPair, nodeBackend, x25519KeyPair } from '../../protocols/crypto/index.ts';
import {
  type Admission,
  FrameDecoder,
  MeshHandshake,
  type MeshHandshakeResult,
  MeshSession,
  type MeshSessionOptions,
  type SessionEvent,
} from '../../protocols/mesh/index.ts';

export const MESH_ID = new Uint8Array(16).fill(0x6d);

export interface PairOptions {
  initiatorKey?: KeyPair;
  responderKey?: KeyPair;
  admission?: Admission;
  session?: MeshSessionOptions;
  /** Called on both results before the sessions are made (e.g. to bring a nonce to its limit). */
  tweak?: (a: MeshHandshakeResult, b: MeshHandshakeResult) => void;
}

/** Splits framed bytes back into Noise messages. */
export function unframe(bytes: Uint8Array): Uint8Array[] {
  return new FrameDecoder().push(bytes);
}

/** Runs the mesh handshake in memory and returns both results. */
export function handshakePair(options: PairOptions = {}) {
  const ik = options.initiatorKey ?? x25519KeyPair(nodeBackend);
  const rk = options.responderKey ?? x25519KeyPair(nodeBackend);
  const init = new MeshHandshake({
    role: 'initiator',
    meshId: MESH_ID,
    staticKey: ik,
    expectedResponder: rk.publicKey,
  });
  const resp = new MeshHandshake({
    role: 'responder',
    meshId: MESH_ID,
    staticKey: rk,
    admitInitiator: () => options.admission ?? 'member',
  });
  const m1 = unframe(init.start())[0]!;
  const s2 = resp.receive(m1);
  const s3 = init.receive(unframe(s2.reply!)[0]!);
  const s4 = resp.receive(unframe(s3.reply!)[0]!);
  return { a: s3.done!, b: s4.done!, ik, rk };
}

export function sessionPair(options: PairOptions = {}) {
  const { a, b, ik, rk } = handshakePair(options);
  options.tweak?.(a, b);
  return {
    a: new MeshSession(a, options.session),
    b: new MeshSession(b, options.session),
    ik,
    rk,
  };
}

/** Feeds framed bytes to a session and collects its events. */
export function deliver(to: MeshSession, bytes: Uint8Array): SessionEvent[] {
  return unframe(bytes).flatMap((m) => to.receive(m));
}

/** Delivers, and also carries any 'send' events back and forth until both sides are quiet. */
export function pump(from: MeshSession, to: MeshSession, bytes: Uint8Array): SessionEvent[] {
  const all: SessionEvent[] = [];
  let queue: { dst: MeshSession; src: MeshSession; bytes: Uint8Array }[] = [
    { dst: to, src: from, bytes },
  ];
  while (queue.length > 0) {
    const next: typeof queue = [];
    for (const q of queue) {
      for (const e of deliver(q.dst, q.bytes)) {
        all.push(e);
        if (e.type === 'send') next.push({ dst: q.src, src: q.dst, bytes: e.bytes });
      }
    }
    queue = next;
  }
  return all;
}

export function frames(events: SessionEvent[]): Uint8Array[] {
  return events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));
}
