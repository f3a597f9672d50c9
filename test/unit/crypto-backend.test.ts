import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CryptoBackend,
  concatBytes,
  fromHex,
  InvalidPublicKeyError,
  KemError,
  nobleBackend,
  nodeBackend,
  toHex,
} from '../../protocols/crypto/index.ts';
import { LOW_ORDER_POINTS } from '../support/low-order.ts';

const backends: CryptoBackend[] = [nodeBackend, nobleBackend];
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const same = <T>(f: (b: CryptoBackend) => T, show: (x: T) => string) => {
  expect(show(f(nodeBackend))).toBe(show(f(nobleBackend)));
};

describe('crypto backends: node:crypto and @noble give identical bytes', () => {
  it('SHA-256, HMAC and HKDF', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 80 }), (a, k) => {
        same((b) => b.sha256(a, k), toHex);
        same((b) => b.hmacSha256(k, a), toHex);
        same((b) => b.hkdf(a, k, new Uint8Array(0), 64), toHex);
      }),
      { numRuns: 100 },
    );
  });

  it('X25519 public keys and shared secrets', () => {
    fc.assert(
      fc.property(bytes(32), bytes(32), (x, y) => {
        same((b) => b.x25519PublicKey(x), toHex);
        const py = nodeBackend.x25519PublicKey(y);
        same((b) => b.x25519(x, py), toHex);
      }),
      { numRuns: 40 },
    );
  });

  it('ChaCha20-Poly1305 and XChaCha20-Poly1305 seal and open alike', () => {
    fc.assert(
      fc.property(
        bytes(32),
        bytes(12),
        bytes(24),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 2000 }),
        (key, n12, n24, ad, pt) => {
          same((b) => b.chachaSeal(key, n12, ad, pt), toHex);
          same((b) => b.xchachaSeal(key, n24, ad, pt), toHex);
          const parts = [pt.subarray(0, 1), pt.subarray(1)];
          same((b) => concatBytes(...b.chachaSealParts(key, n12, ad, parts)), toHex);
          expect(toHex(concatBytes(...nodeBackend.chachaSealParts(key, n12, ad, parts)))).toBe(
            toHex(nodeBackend.chachaSeal(key, n12, ad, pt)),
          );
          const c = nodeBackend.chachaSeal(key, n12, ad, pt);
          const x = nobleBackend.xchachaSeal(key, n24, ad, pt);
          for (const b of backends) {
            expect(toHex(b.chachaOpen(key, n12, ad, c)!)).toBe(toHex(pt));
            expect(toHex(b.xchachaOpen(key, n24, ad, x)!)).toBe(toHex(pt));
            const bad = c.slice();
            bad[bad.length - 1]! ^= 1;
            expect(b.chachaOpen(key, n12, ad, bad)).toBeUndefined();
            expect(b.chachaOpen(key, n12, ad, c.subarray(0, 15))).toBeUndefined();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('XChaCha20-Poly1305 matches the draft-irtf-cfrg-xchacha A.3.1 example on both backends', () => {
    const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = fromHex('404142434445464748494a4b4c4d4e4f5051525354555657');
    const ad = fromHex('50515253c0c1c2c3c4c5c6c7');
    const pt = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const tag = 'c0875924c1c7987947deafd8780acf49';
    for (const b of backends)
      expect(toHex(b.xchachaSeal(key, nonce, ad, pt)).endsWith(tag)).toBe(true);
  });

  it('ML-KEM-768 is the same code in both (keygen, encapsulate, decapsulate)', () => {
    const seed = new Uint8Array(64).fill(3);
    const m = new Uint8Array(32).fill(4);
    const { publicKey, secretKey } = nodeBackend.mlkemKeygen(seed);
    const { cipherText, sharedSecret } = nobleBackend.mlkemEncapsulate(publicKey, m);
    expect(toHex(nodeBackend.mlkemDecapsulate(cipherText, secretKey))).toBe(toHex(sharedSecret));
  });
});

describe('crypto backends refuse bad public keys the same way', () => {
  it.each(LOW_ORDER_POINTS)('X25519 low-order point %s throws InvalidPublicKeyError', (point) => {
    const priv = new Uint8Array(32).fill(0x42);
    for (const b of backends) {
      expect(() => b.x25519(priv, fromHex(point))).toThrow(InvalidPublicKeyError);
    }
  });

  it('X25519 keys of 31 and 33 bytes throw InvalidPublicKeyError', () => {
    const priv = new Uint8Array(32).fill(0x42);
    for (const b of backends) {
      expect(() => b.x25519(priv, new Uint8Array(31).fill(9))).toThrow(InvalidPublicKeyError);
      expect(() => b.x25519(priv, new Uint8Array(33).fill(9))).toThrow(InvalidPublicKeyError);
    }
  });

  it('a non-canonical ML-KEM-768 key (coefficient >= q) or a wrong length throws KemError', () => {
    const { publicKey } = nodeBackend.mlkemKeygen(new Uint8Array(64).fill(5));
    const bad = publicKey.slice();
    bad[0] = 0xff;
    bad[1] = 0xff; // the first 12-bit coefficient becomes 4095 >= q = 3329
    for (const b of backends) {
      expect(() => b.mlkemEncapsulate(bad, new Uint8Array(32))).toThrow(KemError);
      expect(() => b.mlkemEncapsulate(publicKey.subarray(1), new Uint8Array(32))).toThrow(KemError);
    }
  });
});
