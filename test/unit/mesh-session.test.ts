import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeBackend, toHex, x25519KeyPair } from '../../protocols/crypto/index.ts';
import {
  CloseCode,
  encodeFrame,
  encodeFrames,
  FrameDecoder,
  FrameTooLargeError,
  FrameTooLongError,
  FrameTooSmallError,
  MAX_RECORD_BODY,
  MeshSession,
  ProtocolViolationError,
  ReassemblyLimitError,
  RecordType,
  SessionClosedError,
  SessionPoisonedError,
  SessionStateError,
  TransportDecryptError,
} from '../../protocols/mesh/index.ts';
import {
  MAX_NONCE,
  NonceExhaustedError,
  UnexpectedStaticKeyError,
} from '../../protocols/noise/index.ts';
import {
  deliver,
  frames,
  handshakePair,
  pump,
  sessionPair,
  unframe,
} from '../support/mesh-pair.ts';

const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

describe('frame decoder', () => {
  it('returns the same messages however the stream is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 20 }),
        (messages, cuts) => {
          const wire = encodeFrames(messages);
          const d = new FrameDecoder();
          const out: Uint8Array[] = [];
          let o = 0;
          let i = 0;
          while (o < wire.length) {
            const n = cuts[i++ % cuts.length]!;
            out.push(...d.push(wire.subarray(o, o + n)));
            o += n;
          }
          expect(out.map(toHex)).toEqual(messages.map(toHex));
          expect(d.pendingBytes).toBe(0);
        },
      ),
    );
  });

  it('holds a partial frame without emitting it, and reports the pending bytes', () => {
    const d = new FrameDecoder();
    expect(d.push(new Uint8Array([0xff, 0xff, 1, 2, 3]))).toEqual([]);
    expect(d.pendingBytes).toBe(3);
  });

  it('refuses to frame a Noise message over 65535 bytes', () => {
    expect(() => encodeFrame(new Uint8Array(65536))).toThrow(FrameTooLargeError);
    expect(encodeFrame(new Uint8Array(65535)).length).toBe(65537);
  });
});

describe('mesh session transport', () => {
  it('carries frames of every size class both ways, fragmenting past one record', () => {
    const { a, b } = sessionPair();
    for (const n of [
      0,
      1,
      MAX_RECORD_BODY - 1,
      MAX_RECORD_BODY,
      MAX_RECORD_BODY + 1,
      3 * MAX_RECORD_BODY + 5,
      1 << 20,
    ]) {
      const f = bytes(n, n & 0xff);
      const ab = frames(deliver(b, a.sealFrame(f)));
      expect(ab.length).toBe(1);
      expect(ab[0]!.length).toBe(n);
      expect(toHex(ab[0]!.subarray(0, 64))).toBe(toHex(f.subarray(0, 64)));
      const ba = frames(deliver(a, b.sealFrame(f)));
      expect(ba[0]!.length).toBe(n);
    }
    // Every Noise message stays within 65535 bytes.
    for (const m of unframe(a.sealFrame(bytes(1 << 20))))
      expect(m.length).toBeLessThanOrEqual(65535);
  });

  it('refuses to send a frame over the cap without poisoning the session', () => {
    const { a, b } = sessionPair({ session: { maxFrameBytes: 1000 } });
    expect(() => a.sealFrame(bytes(1001))).toThrow(FrameTooLongError);
    expect(frames(deliver(b, a.sealFrame(bytes(1000))))[0]!.length).toBe(1000);
  });

  it('closes when the peer reassembles past the cap', () => {
    const h = handshakePair();
    const sender = new MeshSession(h.a, { maxFrameBytes: 200_000 });
    const receiver = new MeshSession(h.b, { maxFrameBytes: 100_000 });
    expect(frames(deliver(receiver, sender.sealFrame(bytes(100_000))))[0]!.length).toBe(100_000);
    expect(() => deliver(receiver, sender.sealFrame(bytes(100_001)))).toThrow(ReassemblyLimitError);
    expect(receiver.state).toBe('failed');
    expect(() => receiver.receive(new Uint8Array(40))).toThrow(SessionPoisonedError);
  });

  it('fails on every truncation of a transport message', () => {
    const { a } = sessionPair();
    const msg = unframe(a.sealFrame(bytes(40)))[0]!;
    for (let n = 0; n < msg.length; n++) {
      const p = sessionPair();
      const m = unframe(p.a.sealFrame(bytes(40)))[0]!;
      expect(() => p.b.receive(m.subarray(0, n))).toThrow(
        n < 17 ? FrameTooSmallError : TransportDecryptError,
      );
      expect(p.b.state).toBe('failed');
    }
  });

  it('rejects an undersized (< 17 bytes) or empty transport message', () => {
    const { b } = sessionPair();
    expect(() => b.receive(new Uint8Array(0))).toThrow(FrameTooSmallError);
  });

  it('closes on a duplicated, reordered, dropped or reflected record', () => {
    const cases: [string, (a: MeshSession, b: MeshSession) => void][] = [
      [
        'duplicated',
        (a, b) => {
          const m = unframe(a.sealFrame(bytes(10)))[0]!;
          b.receive(m);
          b.receive(m);
        },
      ],
      [
        'reordered',
        (a, b) => {
          const m1 = unframe(a.sealFrame(bytes(10)))[0]!;
          const m2 = unframe(a.sealFrame(bytes(11)))[0]!;
          b.receive(m2);
          b.receive(m1);
        },
      ],
      [
        'dropped',
        (a, b) => {
          a.sealFrame(bytes(10));
          b.receive(unframe(a.sealFrame(bytes(11)))[0]!);
        },
      ],
      [
        'reflected',
        (a, _b) => {
          // Our own record fed back to us: each direction has its own key.
          a.receive(unframe(a.sealFrame(bytes(10)))[0]!);
        },
      ],
    ];
    for (const [name, attack] of cases) {
      const { a, b } = sessionPair();
      expect(() => attack(a, b), name).toThrow(TransportDecryptError);
      const victim = name === 'reflected' ? a : b;
      expect(victim.state).toBe('failed');
      expect(() => victim.sealFrame(bytes(1))).toThrow(SessionPoisonedError);
    }
  });

  it('a flipped bit anywhere in a record closes the session', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 56 }), fc.integer({ min: 0, max: 7 }), (i, bit) => {
        const { a, b } = sessionPair();
        const m = unframe(a.sealFrame(bytes(40)))[0]!;
        m[i]! ^= 1 << bit;
        expect(() => b.receive(m)).toThrow(TransportDecryptError);
      }),
      { numRuns: 30 },
    );
  });

  it('errors when the nonce reaches 2^64-1 (injected), sending and receiving', () => {
    const { a, b } = sessionPair({
      tweak: (x, y) => {
        x.handshake.send.setNonce(MAX_NONCE - 1n);
        y.handshake.receive.setNonce(MAX_NONCE - 1n);
      },
    });
    const last = a.sealFrame(bytes(3));
    expect(frames(deliver(b, last))[0]!.length).toBe(3);
    expect(() => a.sealFrame(bytes(3))).toThrow(NonceExhaustedError);
    expect(a.state).toBe('failed');
    expect(() => b.receive(unframe(last)[0]!)).toThrow(NonceExhaustedError);
  });

  it('closes with an authenticated close record', () => {
    const { a, b } = sessionPair();
    const events = deliver(b, a.close(CloseCode.goingAway, 'shutting down'));
    expect(events).toEqual([
      { type: 'closed', code: CloseCode.goingAway, reason: 'shutting down' },
    ]);
    expect(a.state).toBe('closed');
    expect(b.state).toBe('closed');
    expect(() => a.sealFrame(bytes(1))).toThrow(SessionClosedError);
    expect(() => b.receive(new Uint8Array(17))).toThrow(SessionClosedError);
  });

  it('a forged close record is rejected like any tampering', () => {
    const { a, b } = sessionPair();
    const m = unframe(a.close(CloseCode.normal))[0]!;
    m[0]! ^= 1;
    expect(() => b.receive(m)).toThrow(TransportDecryptError);
  });

  it('rekeys in-band, on demand and by message count, without losing a frame', () => {
    const { a, b } = sessionPair({ session: { rekeyAfterMessages: 3 } });
    const got: number[] = [];
    for (let i = 0; i < 20; i++) {
      for (const f of frames(deliver(b, a.sealFrame(bytes(5, i))))) got.push(f[0]!);
      if (i % 7 === 0) deliver(a, b.rekey());
      frames(deliver(a, b.sealFrame(bytes(4, i))));
    }
    expect(got).toEqual([...Array(20).keys()]);
    expect(a.stats.rekeysSent).toBeGreaterThanOrEqual(6);
    expect(b.stats.rekeysReceived).toBe(a.stats.rekeysSent);
    expect(a.stats.rekeysReceived).toBe(b.stats.rekeysSent);
  });

  it('rekeys by byte count', () => {
    const { a, b } = sessionPair({ session: { rekeyAfterBytes: 10_000 } });
    for (let i = 0; i < 5; i++) deliver(b, a.sealFrame(bytes(6000)));
    expect(a.stats.rekeysSent).toBeGreaterThanOrEqual(2);
  });

  it('re-handshakes over the live session (dialer starts), with frames flowing during it', () => {
    const { a, b } = sessionPair();
    const h0 = toHex(a.handshakeHash);
    const m1 = a.startRehandshake()!;
    expect(a.startRehandshake()).toBeUndefined(); // one at a time
    // Frames sent by either side mid-re-handshake are still delivered in order.
    const mid = a.sealFrame(bytes(9, 1));
    const e1 = deliver(b, m1); // b answers with message 2
    const m2 = e1.find((e) => e.type === 'send')!;
    const fromB = b.sealFrame(bytes(9, 2));
    expect(frames(deliver(b, mid))[0]![0]).toBe(1);
    const e2 = deliver(a, m2.type === 'send' ? m2.bytes : new Uint8Array(0)); // a sends message 3
    expect(frames(deliver(a, fromB))[0]![0]).toBe(2);
    const m3 = e2.find((e) => e.type === 'send')!;
    const afterA = a.sealFrame(bytes(9, 3)); // already under the new key
    const e3 = deliver(b, m3.type === 'send' ? m3.bytes : new Uint8Array(0));
    expect(e3.some((e) => e.type === 'rehandshaked')).toBe(true);
    expect(frames(deliver(b, afterA))[0]![0]).toBe(3);
    const done = e3.find((e) => e.type === 'send')!;
    const e4 = deliver(a, done.type === 'send' ? done.bytes : new Uint8Array(0));
    expect(e4.some((e) => e.type === 'rehandshaked')).toBe(true);
    expect(toHex(a.handshakeHash)).toBe(toHex(b.handshakeHash));
    expect(toHex(a.handshakeHash)).not.toBe(h0);
    expect(frames(deliver(a, b.sealFrame(bytes(9, 4))))[0]![0]).toBe(4);
    expect(a.stats.rehandshakes).toBe(1);
  });

  it('the listening side asks, the dialing side runs the re-handshake', () => {
    const { a, b } = sessionPair();
    const h0 = toHex(a.handshakeHash);
    const events = pump(b, a, b.startRehandshake()!);
    expect(events.filter((e) => e.type === 'rehandshaked').length).toBe(2);
    expect(toHex(a.handshakeHash)).toBe(toHex(b.handshakeHash));
    expect(toHex(a.handshakeHash)).not.toBe(h0);
    expect(frames(deliver(b, a.sealFrame(bytes(3))))[0]!.length).toBe(3);
  });

  it('a re-handshake with a changed static key is refused', () => {
    const { a, b } = handshakePair();
    const impostor = new MeshSession({ ...b, staticKey: x25519KeyPair(nodeBackend) });
    const dialer = new MeshSession(a);
    expect(() => pump(dialer, impostor, dialer.startRehandshake()!)).toThrow(
      UnexpectedStaticKeyError,
    );
    expect(dialer.state).toBe('failed');
  });

  it('rejects unknown record types and records out of place', () => {
    const empty = new Uint8Array(0);
    // [who receives, record type, body, admission]
    const cases: [string, 'initiator' | 'responder', number, number, 'member' | 'joiner'][] = [
      ['unknown type', 'responder', 0x7f, 0, 'member'],
      ['HANDSHAKE_DONE without a re-handshake', 'initiator', RecordType.handshakeDone, 0, 'member'],
      [
        'uninvited re-handshake message to the dialer',
        'initiator',
        RecordType.handshake,
        1216,
        'member',
      ],
      [
        're-handshake request to the listener',
        'responder',
        RecordType.rehandshakeRequest,
        0,
        'member',
      ],
      ['JOIN from a member', 'responder', RecordType.join, 48, 'member'],
      ['JOIN_ACCEPTED unasked', 'initiator', RecordType.joinAccepted, 0, 'member'],
      ['REKEY with a body', 'responder', RecordType.rekey, 1, 'member'],
      ['CLOSE without its code', 'responder', RecordType.close, 1, 'member'],
      ['JOIN of the wrong length', 'responder', RecordType.join, 47, 'joiner'],
    ];
    for (const [name, receiverRole, type, bodyLength, admission] of cases) {
      const h = handshakePair({ admission });
      const [mine, theirs] = receiverRole === 'responder' ? [h.b, h.a] : [h.a, h.b];
      const receiver = new MeshSession(mine);
      const plain = new Uint8Array(1 + bodyLength);
      plain[0] = type;
      const forged = theirs.handshake.send.encryptWithAd(empty, plain);
      expect(() => receiver.receive(forged), name).toThrow(ProtocolViolationError);
      expect(receiver.state, name).toBe('failed');
    }
  });

  it('rejects local calls the state does not allow', () => {
    const { a, b } = sessionPair();
    expect(() => b.acceptJoin()).toThrow(SessionStateError);
    expect(() => b.join({ inviteId: bytes(16), secret: bytes(32) })).toThrow(RangeError);
    expect(a.state).toBe('open');
  });
});

describe('mesh session joins', () => {
  it('a joiner may not send before the inviter accepts, nor a joining peer send data', () => {
    const { a, b } = sessionPair({ admission: 'joiner' });
    expect(b.state).toBe('awaiting-join');
    // Data instead of JOIN: protocol violation at the inviter.
    expect(() => deliver(b, a.sealFrame(bytes(3)))).toThrow(ProtocolViolationError);
  });

  it('JOIN then JOIN_ACCEPTED opens both sides', () => {
    const { a, b } = sessionPair({ admission: 'joiner' });
    const join = a.join({ inviteId: bytes(16, 1), secret: bytes(32, 2) });
    expect(a.state).toBe('joining');
    expect(() => a.sealFrame(bytes(1))).toThrow(SessionStateError);
    const [event] = deliver(b, join);
    expect(event?.type).toBe('join');
    expect(b.state).toBe('join-pending');
    expect(deliver(a, b.acceptJoin())).toEqual([{ type: 'join-accepted' }]);
    expect(a.state).toBe('open');
    expect(frames(deliver(b, a.sealFrame(bytes(3))))[0]!.length).toBe(3);
  });
});
