import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AcceptOptions,
  acceptLink,
  type DialOptions,
  FrameTimeoutError,
  HandshakeRateLimitedError,
  HandshakeTimeoutError,
  type Link,
  LinkClosedError,
  LinkListener,
  UnexpectedEofError,
} from '../../actors/bridge/link/index.ts';
import { nodeBackend, toHex, x25519KeyPair } from '../../protocols/crypto/index.ts';
import {
  CloseCode,
  encodeFrame,
  FrameDecoder,
  FrameTooLongError,
  MeshHandshake,
  ReassemblyLimitError,
  TransportDecryptError,
} from '../../protocols/mesh/index.ts';
import { HandshakeRejectedError, UnexpectedStaticKeyError } from '../../protocols/noise/index.ts';
import { A, acceptOpts, B, dialB } from '../support/link-ends.ts';
import { MESH_ID } from '../support/mesh-pair.ts';
import { dialTcp, handDial, record, serve, sleep, within } from '../support/tcp.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A listener that accepts links as B (with `accept` on top), closed after the test. */
async function listen(accept: Partial<AcceptOptions> = {}) {
  const server = await serve((s) => acceptLink(s, acceptOpts(accept)));
  cleanups.push(server.close);
  return server;
}

/** A hand-driven dialer (A, expecting B) on `server`, and the link the server accepted from it. */
async function handLink(server: Awaited<ReturnType<typeof listen>>) {
  const dialed = await handDial(server.port, { staticKey: A, expectedRemote: B.publicKey });
  cleanups.push(() => dialed.socket.destroy());
  dialed.socket.on('error', () => {});
  const link = await within(server.next(), 3000);
  return { ...dialed, link };
}

/** The error `link` closed with (false when it closed without one). */
async function closeError(link: Link): Promise<unknown> {
  const reason = await within(link.closed, 3000);
  return reason.by === 'error' && reason.error;
}

async function linkPair(accept: Partial<AcceptOptions> = {}, dial: Partial<DialOptions> = {}) {
  const server = await listen(accept);
  const dialer = await within(dialB(server.port, dial), 5000, 'dial');
  const listener = await within(server.next(), 5000, 'accept');
  cleanups.push(
    () => dialer.close(),
    () => listener.close(),
  );
  return { dialer, listener, server };
}

async function collect(link: Link, n: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const f of link) {
    out.push(f);
    if (out.length === n) break;
  }
  return out;
}

describe('mesh link over loopback TCP', () => {
  it('opens, carries frames both ways (up to 3 MiB) and closes with a reason both sides see', async () => {
    const { dialer, listener } = await linkPair();
    expect(toHex(dialer.remoteStatic)).toBe(toHex(B.publicKey));
    expect(toHex(listener.remoteStatic)).toBe(toHex(A.publicKey));
    expect(toHex(dialer.handshakeHash)).toBe(toHex(listener.handshakeHash));
    const sizes = [0, 1, 65518, 65519, 3 << 20];
    const received = collect(listener, sizes.length);
    for (const n of sizes) await dialer.send(new Uint8Array(n).fill(n & 0xff));
    expect((await within(received, 5000)).map((f) => f.length)).toEqual(sizes);
    const back = collect(dialer, 1);
    await listener.send(new TextEncoder().encode('pong'));
    expect(new TextDecoder().decode((await back)[0])).toBe('pong');
    const closed = await dialer.close('done here', CloseCode.goingAway);
    expect(closed).toEqual({ by: 'local', code: CloseCode.goingAway, reason: 'done here' });
    expect(await within(listener.closed, 2000)).toEqual({
      by: 'remote',
      code: CloseCode.goingAway,
      reason: 'done here',
    });
    await expect(dialer.send(new Uint8Array(1))).rejects.toThrow(LinkClosedError);
  });

  it('delivers to an onFrame callback when one is given', async () => {
    const got: number[] = [];
    const { dialer } = await linkPair({ onFrame: (f) => got.push(f.length) });
    await dialer.send(new Uint8Array(7));
    await dialer.send(new Uint8Array(70_000));
    await within(
      (async () => {
        while (got.length < 2) await sleep(5);
      })(),
      2000,
    );
    expect(got).toEqual([7, 70_000]);
  });

  it('a consumer that stops reading pushes back on the sender (no unbounded buffering)', async () => {
    const { dialer, listener } = await linkPair({ highWaterFrames: 4 });
    const total = 400; // 26 MB: more than loopback socket buffers hold
    let resolved = 0;
    const sends = Array.from({ length: total }, (_, i) =>
      dialer.send(new Uint8Array(65536).fill(i & 0xff)).then(() => resolved++),
    );
    await sleep(300);
    expect(resolved).toBeLessThan(total);
    let n = 0;
    for await (const f of listener) {
      expect(f[0]).toBe(n & 0xff);
      if (++n === total) break;
    }
    await within(Promise.all(sends), 5000, 'all sends');
    expect(resolved).toBe(total);
  });

  it('rekeys every N records and re-handshakes on demand and on a timer, losing nothing', async () => {
    const { dialer, listener } = await linkPair(
      { rekeyAfterMessages: 5 },
      { rekeyAfterMessages: 5, rehandshakeIntervalMs: 150 },
    );
    const h0 = toHex(dialer.handshakeHash);
    const total = 60;
    const received = collect(listener, total);
    for (let i = 0; i < total; i++) {
      await dialer.send(new Uint8Array([i]));
      if (i === 20) await within(dialer.rehandshake(), 3000, 'dialer re-handshake');
      if (i === 30) await within(listener.rehandshake(), 3000, 'listener-asked re-handshake');
      if (i === 40) await sleep(400);
    }
    expect((await within(received, 5000)).map((f) => f[0])).toEqual([...Array(total).keys()]);
    expect(dialer.stats!.rekeysSent).toBeGreaterThanOrEqual(8);
    expect(dialer.stats!.rehandshakes).toBeGreaterThanOrEqual(3);
    expect(toHex(dialer.handshakeHash)).not.toBe(h0);
    expect(toHex(dialer.handshakeHash)).toBe(toHex(listener.handshakeHash));
  });

  it('refuses to send a frame over the cap and stays open', async () => {
    const { dialer, listener } = await linkPair({}, { maxFrameBytes: 1000 });
    await expect(dialer.send(new Uint8Array(1001))).rejects.toThrow(FrameTooLongError);
    const got = collect(listener, 1);
    await dialer.send(new Uint8Array(1000));
    expect((await got)[0]!.length).toBe(1000);
  });

  it('closes the receiver with ReassemblyLimitError when the peer sends past its cap', async () => {
    const { dialer, listener } = await linkPair(
      { maxFrameBytes: 100_000 },
      { maxFrameBytes: 1 << 20 },
    );
    await dialer.send(new Uint8Array(200_000));
    expect(await closeError(listener)).toBeInstanceOf(ReassemblyLimitError);
  });

  it('an unexpected responder key: the dialer aborts and message 3 is never written', async () => {
    const impostor = x25519KeyPair(nodeBackend);
    let seen: { bytes: () => Uint8Array; ended: Promise<void> } | undefined;
    const server = await serve((socket: Socket) => {
      seen = record(socket);
      const hs = new MeshHandshake({
        role: 'responder',
        meshId: MESH_ID,
        staticKey: impostor,
        admitInitiator: () => 'member',
      });
      const d = new FrameDecoder();
      socket.on('data', (c: Buffer) => {
        for (const m of d.push(c)) {
          try {
            const step = hs.receive(m);
            if (step.reply) socket.write(step.reply);
          } catch {
            socket.destroy();
          }
        }
      });
    });
    cleanups.push(server.close);
    await expect(within(dialB(server.port), 3000)).rejects.toThrow(UnexpectedStaticKeyError);
    await within(seen!.ended, 3000);
    expect(seen!.bytes().length).toBe(2 + 1216); // message 1 only
  });

  it('an unknown initiator is refused after message 3', async () => {
    const stranger = x25519KeyPair(nodeBackend);
    const server = await listen();
    const dialer = dialB(server.port, { staticKey: stranger });
    await expect(within(server.next(), 3000)).rejects.toThrow(UnexpectedStaticKeyError);
    // The dialer opened after writing message 3, then saw the stream end without a close record.
    const link = await dialer.catch(() => null);
    if (link) {
      const reason = await within(link.closed, 3000);
      expect(reason.by).toBe('error');
    }
  });

  it('a slow-trickle handshake times out (HandshakeTimeoutError)', async () => {
    const server = await listen({ handshakeTimeoutMs: 300, frameTimeoutMs: 0 });
    const socket = dialTcp(server.port);
    cleanups.push(() => socket.destroy());
    socket.on('error', () => {});
    const msg1 = encodeFrame(new Uint8Array(1216));
    let i = 0;
    const t = setInterval(() => {
      if (i < msg1.length) socket.write(msg1.subarray(i, i + 1));
      i++;
    }, 10);
    cleanups.push(() => clearInterval(t));
    await expect(within(server.next(), 3000)).rejects.toThrow(HandshakeTimeoutError);
  });

  it('a slow-trickle frame times out (FrameTimeoutError), during and after the handshake', async () => {
    const server = await listen({ handshakeTimeoutMs: 5000, frameTimeoutMs: 200 });
    const raw = dialTcp(server.port);
    raw.on('error', () => {});
    cleanups.push(() => raw.destroy());
    raw.write(new Uint8Array([0x04, 0xc0, 1, 2, 3])); // a 1216-byte frame that never completes
    await expect(within(server.next(), 3000)).rejects.toThrow(FrameTimeoutError);

    const { socket, session, link } = await handLink(server);
    const frame = session.sealFrame(new Uint8Array(60_000));
    let i = 0;
    const t = setInterval(() => {
      if (i < frame.length) socket.write(frame.subarray(i, i + 100));
      i += 100;
    }, 20);
    cleanups.push(() => clearInterval(t));
    expect(await closeError(link)).toBeInstanceOf(FrameTimeoutError);
  });

  it('an EOF without a close record, inside a length field or a body, is UnexpectedEofError', async () => {
    const server = await listen();
    for (const cut of [1, 50]) {
      const { socket, session, link } = await handLink(server);
      const frame = session.sealFrame(new Uint8Array(100));
      socket.end(frame.subarray(0, cut)); // EOF mid-frame
      expect(await closeError(link)).toBeInstanceOf(UnexpectedEofError);
    }
  });

  it('a duplicated transport frame closes the link (TransportDecryptError)', async () => {
    const { socket, session, link } = await handLink(await listen());
    const got = collect(link, 1);
    const frame = session.sealFrame(new Uint8Array(10));
    socket.write(frame);
    socket.write(frame);
    expect((await got)[0]!.length).toBe(10);
    expect(await closeError(link)).toBeInstanceOf(TransportDecryptError);
  });

  it('a reflected frame (its own bytes sent back) closes the link', async () => {
    const { socket, decoder, link } = await handLink(await listen());
    const reflected = new Promise<Uint8Array>((resolve) =>
      socket.on('data', (c: Buffer) => {
        const m = decoder.push(c)[0];
        if (m) resolve(m);
      }),
    );
    await link.send(new Uint8Array(33));
    socket.write(encodeFrame(await within(reflected, 3000)));
    expect(await closeError(link)).toBeInstanceOf(TransportDecryptError);
  });

  it('a replayed client stream (old message 1 and 3) fails in a new session', async () => {
    // Record everything a real dialer sends.
    const sent: Buffer[] = [];
    const server = await serve((s) => {
      s.on('data', (c: Buffer) => sent.push(c));
      return acceptLink(s, acceptOpts());
    });
    cleanups.push(server.close);
    const dialer = await dialB(server.port);
    await within(server.next(), 3000);
    await dialer.send(new Uint8Array(5));
    await sleep(50);
    await dialer.close();
    const replay = dialTcp(server.port);
    replay.on('error', () => {});
    cleanups.push(() => replay.destroy());
    replay.write(Buffer.concat(sent));
    await expect(within(server.next(), 3000)).rejects.toThrow(HandshakeRejectedError);
  });

  it('another mesh (different prologue) fails at the first AEAD', async () => {
    const server = await listen();
    const dial = dialB(server.port, { meshId: new Uint8Array(16).fill(1) });
    await expect(within(dial, 3000)).rejects.toThrow(HandshakeRejectedError);
  });
});

describe('listener limits', () => {
  it('caps half-open handshakes', async () => {
    const listener = new LinkListener({
      ...acceptOpts({ handshakeTimeoutMs: 400 }),
      maxHalfOpen: 2,
    });
    const server = await serve((s) => listener.accept(s));
    cleanups.push(server.close);
    for (let i = 0; i < 3; i++) {
      const s = dialTcp(server.port);
      s.on('error', () => {});
      cleanups.push(() => s.destroy());
    }
    const outcomes = await Promise.allSettled(
      [server.next(), server.next(), server.next()].map((p) => within(p, 3000)),
    );
    const errors = outcomes.map((o) =>
      o.status === 'rejected' ? (o.reason as Error).name : 'opened',
    );
    expect(errors.filter((e) => e === 'HandshakeRateLimitedError').length).toBe(1);
    expect(errors.filter((e) => e === 'HandshakeTimeoutError').length).toBe(2);
    expect(listener.halfOpen).toBe(0);
    // Freed slots are usable again.
    const ok = await dialB(server.port);
    cleanups.push(() => ok.close());
    expect((await within(server.next(), 3000)).isOpen).toBe(true);
  });

  it('rate-limits new handshakes with a token bucket', async () => {
    let now = 0;
    const listener = new LinkListener({
      ...acceptOpts(),
      handshakesPerSecond: 1,
      handshakeBurst: 2,
      clock: () => now,
    });
    const server = await serve((s) => listener.accept(s));
    cleanups.push(server.close);
    const dial = () =>
      dialB(server.port).then((l) => {
        cleanups.push(() => l.close());
        return l;
      });
    await dial();
    await dial();
    const third = dial().catch((e: Error) => e);
    await expect(within(server.next(), 3000)).resolves.toBeTruthy();
    await expect(within(server.next(), 3000)).resolves.toBeTruthy();
    await expect(within(server.next(), 3000)).rejects.toThrow(HandshakeRateLimitedError);
    expect(await third).toBeInstanceOf(Error);
    now += 1000;
    await dial();
    await expect(within(server.next(), 3000)).resolves.toBeTruthy();
    expect(listener.refused).toBe(1);
  });
});
