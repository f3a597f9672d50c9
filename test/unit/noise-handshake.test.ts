import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CryptoBackend,
  constantTimeEqual,
  fromHex,
  InvalidPublicKeyError,
  KemError,
  type KeyPair,
  nobleBackend,
  nodeBackend,
  toHex,
  x25519KeyPair,
} from '../../protocols/crypto/index.ts';
import {
  CipherState,
  DecryptError,
  DowngradeError,
  type HandshakeOptions,
  HandshakeRejectedError,
  HandshakeState,
  HandshakeStateError,
  MAX_NONCE,
  MalformedHandshakeMessageError,
  NOISE_XX,
  NOISE_XXHFS,
  type NoiseProtocol,
  NonceExhaustedError,
  UnexpectedStaticKeyError,
} from '../../protocols/noise/index.ts';
import { LOW_ORDER_POINTS } from '../support/low-order.ts';

const b = nodeBackend;
const si = x25519KeyPair(b, new Uint8Array(32).fill(0x31));
const sr = x25519KeyPair(b, new Uint8Array(32).fill(0x32));
const pinned = (k: KeyPair) => (x: Uint8Array) => constantTimeEqual(x, k.publicKey);

function pair(
  opts: {
    protocol?: NoiseProtocol;
    backend?: CryptoBackend;
    prologue?: Uint8Array;
    /** The responder's prologue when it differs. */
    rPrologue?: Uint8Array;
    iStatic?: KeyPair;
    rStatic?: KeyPair;
    fixed?: boolean;
  } = {},
) {
  const backend = opts.backend ?? b;
  const fixed = opts.fixed
    ? {
        kemSeed: new Uint8Array(64).fill(0x45),
        kemEncapsulationRandomness: new Uint8Array(32).fill(0x46),
      }
    : {};
  const init = new HandshakeState({
    protocol: opts.protocol ?? NOISE_XXHFS,
    initiator: true,
    backend,
    staticKey: opts.iStatic ?? si,
    prologue: opts.prologue ?? new Uint8Array(0),
    verifyRemoteStatic: pinned(sr),
    ...(opts.fixed ? { ephemeralPrivateKey: new Uint8Array(32).fill(0x43) } : {}),
    ...fixed,
  });
  const resp = new HandshakeState({
    protocol: opts.protocol ?? NOISE_XXHFS,
    initiator: false,
    backend,
    staticKey: opts.rStatic ?? sr,
    prologue: opts.rPrologue ?? opts.prologue ?? new Uint8Array(0),
    verifyRemoteStatic: pinned(si),
    ...(opts.fixed ? { ephemeralPrivateKey: new Uint8Array(32).fill(0x44) } : {}),
    ...fixed,
  });
  return { init, resp };
}

/** A bare party on the node backend: XXhfs, no prologue, no pinning, unless `over` says so. */
function party(
  initiator: boolean,
  staticKey: KeyPair,
  over: Partial<HandshakeOptions> = {},
): HandshakeState {
  return new HandshakeState({ protocol: NOISE_XXHFS, initiator, backend: b, staticKey, ...over });
}

/** Runs the three messages (each carrying `payload`, if any) and splits both sides. */
function complete(init: HandshakeState, resp: HandshakeState, payload?: Uint8Array) {
  const m1 = init.writeMessage(payload);
  resp.readMessage(m1);
  const m2 = resp.writeMessage(payload);
  init.readMessage(m2);
  const m3 = init.writeMessage(payload);
  resp.readMessage(m3);
  return { m1, m2, m3, a: init.split(), b: resp.split() };
}

/** What `f` throws (undefined if it returns). */
function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('Noise_XXhfs handshake', () => {
  it('has messages of 1216, 1200 and 64 bytes with empty payloads, on both backends', () => {
    for (const backend of [nodeBackend, nobleBackend]) {
      const { init, resp } = pair({ backend });
      const { m1, m2, m3, a, b: r } = complete(init, resp);
      expect([m1.length, m2.length, m3.length]).toEqual([1216, 1200, 64]);
      expect(toHex(a.handshakeHash)).toBe(toHex(r.handshakeHash));
      const msg = new TextEncoder().encode('hello');
      expect(
        toHex(
          r.receive.decryptWithAd(new Uint8Array(0), a.send.encryptWithAd(new Uint8Array(0), msg)),
        ),
      ).toBe(toHex(msg));
    }
  });

  it('node:crypto and @noble produce identical handshakes from the same inputs', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        fc.uint8Array({ maxLength: 50 }),
        (prologue, payload) => {
          const run = (backend: CryptoBackend) => {
            const { init, resp } = pair({ backend, prologue, fixed: true });
            const { m1, m2, m3, a } = complete(init, resp, payload);
            return [m1, m2, m3, a.handshakeHash].map(toHex).join('|');
          };
          expect(run(nodeBackend)).toBe(run(nobleBackend));
        },
      ),
      { numRuns: 4 },
    );
  });

  it('every truncation of message 1 is a downgrade error (no ML-KEM key, no fallback)', () => {
    const m1 = pair().init.writeMessage();
    for (let n = 0; n < m1.length; n++) {
      const { resp } = pair();
      expect(() => resp.readMessage(m1.subarray(0, n))).toThrow(DowngradeError);
      expect(resp.isDestroyed).toBe(true);
    }
  });

  it('every truncation of message 2 fails and destroys the initiator', () => {
    const { init, resp } = pair();
    resp.readMessage(init.writeMessage());
    const m2 = resp.writeMessage();
    for (let n = 0; n < m2.length; n++) {
      const p = pair();
      p.init.writeMessage();
      expect(() => p.init.readMessage(m2.subarray(0, n))).toThrow(MalformedHandshakeMessageError);
      expect(() => p.init.writeMessage()).toThrow(HandshakeStateError);
    }
  });

  it('every truncation of message 3 fails and destroys the responder', () => {
    const m3s: Uint8Array[] = [];
    for (let n = 0; n < 64; n++) {
      const { init, resp } = pair();
      resp.readMessage(init.writeMessage());
      init.readMessage(resp.writeMessage());
      const m3 = init.writeMessage();
      m3s.push(m3);
      expect(() => resp.readMessage(m3.subarray(0, n))).toThrow(MalformedHandshakeMessageError);
      expect(resp.isDestroyed).toBe(true);
    }
  });

  it('a classical Noise_XX message 1 presented to an XXhfs responder is a downgrade', () => {
    const classical = party(true, si, { protocol: NOISE_XX });
    const { resp } = pair();
    expect(() => resp.readMessage(classical.writeMessage())).toThrow(DowngradeError);
  });

  it('an XXhfs initiator never falls back when a classical XX responder answers', () => {
    const { init } = pair();
    const classical = party(false, sr, { protocol: NOISE_XX });
    classical.readMessage(init.writeMessage()); // XX reads e1 as a cleartext payload
    expect(() => init.readMessage(classical.writeMessage())).toThrow(
      MalformedHandshakeMessageError,
    );
    expect(() => init.writeMessage()).toThrow(HandshakeStateError);
  });

  it('a prologue mismatch fails at the first AEAD (message 2)', () => {
    const { init, resp } = pair({ prologue: new Uint8Array([1]), rPrologue: new Uint8Array([2]) });
    resp.readMessage(init.writeMessage());
    expect(() => init.readMessage(resp.writeMessage())).toThrow(HandshakeRejectedError);
  });

  it('a tampered ML-KEM ciphertext and a non-canonical ML-KEM key take the same error path', () => {
    // Bit flip in the ciphertext (bytes 32..1136 of message 2): the AEAD over it fails.
    const t = pair();
    t.resp.readMessage(t.init.writeMessage());
    const m2 = t.resp.writeMessage();
    m2[32 + 500]! ^= 0x01;
    const tampered = thrownBy(() => t.init.readMessage(m2));
    // Coefficient >= q in e1: encapsulation refuses, the responder aborts writing message 2.
    const k = pair();
    const m1 = k.init.writeMessage();
    m1[32] = 0xff;
    m1[33] = 0xff;
    k.resp.readMessage(m1);
    const badKey = thrownBy(() => k.resp.writeMessage());
    // Implicit rejection: a ciphertext that passes the AEAD but was made for another key.
    const other = nodeBackend.mlkemKeygen(new Uint8Array(64).fill(9)).publicKey;
    const swapping: CryptoBackend = {
      ...nodeBackend,
      mlkemEncapsulate: (_ek, m) => nodeBackend.mlkemEncapsulate(other, m),
    };
    const s = pair();
    const s1 = s.init.writeMessage();
    const liar = party(false, sr, { backend: swapping });
    liar.readMessage(s1);
    const swapped = thrownBy(() => s.init.readMessage(liar.writeMessage()));
    for (const e of [tampered, badKey, swapped]) {
      expect(e).toBeInstanceOf(HandshakeRejectedError);
      expect((e as Error).name).toBe('HandshakeRejectedError');
    }
    expect((tampered as Error).cause).toBeInstanceOf(DecryptError);
    expect((badKey as Error).cause).toBeInstanceOf(KemError);
    expect((swapped as Error).cause).toBeInstanceOf(DecryptError);
    expect(t.init.isDestroyed && k.resp.isDestroyed && s.init.isDestroyed).toBe(true);
  });

  it('a bit flip in e1 makes the handshake hashes differ: the initiator rejects message 2', () => {
    const { init, resp } = pair();
    const m1 = init.writeMessage();
    m1[32 + 1183]! ^= 0x01; // the last byte of ek holds rho, so the key stays canonical
    resp.readMessage(m1);
    expect(() => init.readMessage(resp.writeMessage())).toThrow(HandshakeRejectedError);
  });

  it('any single-byte change to message 2 or 3 is rejected', () => {
    const base = pair({ fixed: true });
    const { m1, m2, m3 } = complete(base.init, base.resp);
    for (const i of [0, 31, 32, 600, 1135, 1136, 1183, 1184, 1199]) {
      const p = pair({ fixed: true });
      p.init.writeMessage();
      const bad = m2.slice();
      bad[i]! ^= 0x80;
      expect(() => p.init.readMessage(bad)).toThrow(HandshakeRejectedError);
    }
    for (const i of [0, 47, 48, 63]) {
      const p = pair({ fixed: true });
      p.resp.readMessage(m1);
      p.resp.writeMessage();
      const bad = m3.slice();
      bad[i]! ^= 0x01;
      expect(() => p.resp.readMessage(bad)).toThrow(HandshakeRejectedError);
    }
  });

  it.each(LOW_ORDER_POINTS)(
    'a low-order ephemeral %s aborts the handshake (both backends)',
    (point) => {
      for (const backend of [nodeBackend, nobleBackend]) {
        // In message 1: the responder's ee fails while writing message 2.
        const p = pair({ backend });
        const m1 = p.init.writeMessage();
        m1.set(fromHex(point), 0);
        p.resp.readMessage(m1);
        expect(() => p.resp.writeMessage()).toThrow(HandshakeRejectedError);
        // In message 2: the initiator's ee fails while reading it.
        const q = pair({ backend });
        q.resp.readMessage(q.init.writeMessage());
        const m2 = q.resp.writeMessage();
        m2.set(fromHex(point), 0);
        const error = thrownBy(() => q.init.readMessage(m2));
        expect(error).toBeInstanceOf(HandshakeRejectedError);
        expect((error as Error).cause).toBeInstanceOf(InvalidPublicKeyError);
      }
    },
  );

  it('a low-order static key aborts the handshake', () => {
    const evil: KeyPair = {
      privateKey: new Uint8Array(32).fill(7),
      publicKey: fromHex(LOW_ORDER_POINTS[2]!),
    };
    const init = party(true, si);
    const resp = party(false, evil);
    resp.readMessage(init.writeMessage());
    expect(() => init.readMessage(resp.writeMessage())).toThrow(HandshakeRejectedError);
  });

  it('an unexpected responder key aborts after message 2: message 3 is never written', () => {
    const impostor = x25519KeyPair(b);
    const { init } = pair();
    const resp = party(false, impostor);
    resp.readMessage(init.writeMessage());
    const m2 = resp.writeMessage();
    const error = thrownBy(() => init.readMessage(m2));
    expect(error).toBeInstanceOf(UnexpectedStaticKeyError);
    expect(toHex((error as UnexpectedStaticKeyError).remoteStatic)).toBe(toHex(impostor.publicKey));
    expect(() => init.writeMessage()).toThrow(HandshakeStateError);
    expect(init.isDestroyed).toBe(true);
  });

  it('an unknown initiator key is refused after message 3', () => {
    const stranger = x25519KeyPair(b);
    const { resp } = pair();
    const init = party(true, stranger, { verifyRemoteStatic: pinned(sr) });
    resp.readMessage(init.writeMessage());
    init.readMessage(resp.writeMessage());
    expect(() => resp.readMessage(init.writeMessage())).toThrow(UnexpectedStaticKeyError);
    expect(() => resp.split()).toThrow(HandshakeStateError);
  });

  it('replayed handshake messages fail in a new session', () => {
    const old = pair();
    const { m1, m2, m3 } = complete(old.init, old.resp);
    // Old message 3 against a responder that answered a replayed message 1 with a fresh e.
    const r = pair().resp;
    r.readMessage(m1);
    r.writeMessage();
    expect(() => r.readMessage(m3)).toThrow(HandshakeRejectedError);
    // Old message 2 against a new initiator.
    const i = pair().init;
    i.writeMessage();
    expect(() => i.readMessage(m2)).toThrow(HandshakeRejectedError);
  });

  it('rejects out-of-turn use, a fourth message and split() before the end', () => {
    const { init, resp } = pair();
    expect(() => resp.writeMessage()).toThrow(HandshakeStateError);
    expect(() => init.readMessage(new Uint8Array(1216))).toThrow(HandshakeStateError);
    expect(() => init.split()).toThrow(HandshakeStateError);
    const p = pair();
    complete(p.init, p.resp);
    expect(() => p.init.writeMessage()).toThrow(HandshakeStateError);
    expect(() => p.resp.readMessage(new Uint8Array(64))).toThrow(HandshakeStateError);
  });

  it('any error destroys the state for good', () => {
    const { resp } = pair();
    expect(() => resp.readMessage(new Uint8Array(10))).toThrow(DowngradeError);
    expect(() => resp.readMessage(pair().init.writeMessage())).toThrow(/destroyed/);
  });
});

describe('CipherState', () => {
  const key = new Uint8Array(32).fill(1);
  const empty = new Uint8Array(0);

  it('refuses the reserved nonce 2^64-1 (injected)', () => {
    const tx = new CipherState(b, key);
    const rx = new CipherState(b, key);
    tx.setNonce(MAX_NONCE - 1n);
    rx.setNonce(MAX_NONCE - 1n);
    const c = tx.encryptWithAd(empty, new Uint8Array([1]));
    expect(rx.decryptWithAd(empty, c)).toEqual(new Uint8Array([1]));
    expect(tx.nonce).toBe(MAX_NONCE);
    expect(() => tx.encryptWithAd(empty, new Uint8Array([2]))).toThrow(NonceExhaustedError);
    expect(() => rx.decryptWithAd(empty, c)).toThrow(NonceExhaustedError);
  });

  it('does not advance the nonce on a failed decryption (§5.1)', () => {
    const tx = new CipherState(b, key);
    const rx = new CipherState(b, key);
    const c = tx.encryptWithAd(empty, new Uint8Array([1, 2, 3]));
    const bad = c.slice();
    bad[0]! ^= 1;
    expect(() => rx.decryptWithAd(empty, bad)).toThrow(DecryptError);
    expect(rx.nonce).toBe(0n);
    expect(rx.decryptWithAd(empty, c)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('Rekey() sets k to the first 32 bytes of ENCRYPT(k, 2^64-1, "", zeros) and keeps n', () => {
    for (const backend of [nodeBackend, nobleBackend]) {
      const tx = new CipherState(backend, key);
      tx.encryptWithAd(empty, empty);
      tx.rekey();
      expect(tx.nonce).toBe(1n);
      const nonce = new Uint8Array(12);
      new DataView(nonce.buffer).setBigUint64(4, MAX_NONCE, true);
      const next = backend.chachaSeal(key, nonce, empty, new Uint8Array(32)).slice(0, 32);
      const ref = new CipherState(backend, next);
      ref.setNonce(1n);
      expect(toHex(tx.encryptWithAd(empty, new Uint8Array([9])))).toBe(
        toHex(ref.encryptWithAd(empty, new Uint8Array([9]))),
      );
    }
  });
});
