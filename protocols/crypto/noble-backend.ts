import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { CryptoBackend } from './backend.ts';
import { X25519_LENGTH } from './backend.ts';
import { asBytes, concatBytes } from './bytes.ts';
import { mlkem768 } from './kem.ts';
import {
  checkX25519PublicKeyLength,
  checkX25519SharedSecret,
  lowOrderPoint,
} from './x25519-check.ts';

/** The portable reference: pure-JS @noble/* primitives. Slow but independent of OpenSSL. */
export const nobleBackend: CryptoBackend = {
  name: 'noble',
  randomBytes: (length) => randomBytes(length),
  sha256(...parts) {
    const h = sha256.create();
    for (const p of parts) h.update(p);
    return h.digest();
  },
  hmacSha256(key, ...parts) {
    const h = hmac.create(sha256, key);
    for (const p of parts) h.update(p);
    return h.digest();
  },
  hkdf: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  x25519PublicKey(privateKey) {
    if (privateKey.length !== X25519_LENGTH) {
      throw new RangeError(`an X25519 private key is 32 bytes, got ${privateKey.length}`);
    }
    return x25519.getPublicKey(privateKey);
  },
  x25519Generate() {
    const privateKey = randomBytes(X25519_LENGTH);
    return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
  },
  x25519(privateKey, publicKey) {
    checkX25519PublicKeyLength(publicKey);
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(privateKey, publicKey);
    } catch (cause) {
      throw lowOrderPoint(cause);
    }
    return checkX25519SharedSecret(shared);
  },
  chachaSeal: (key, nonce, ad, plaintext) =>
    chacha20poly1305(key, nonce, asBytes(ad)).encrypt(asBytes(plaintext)),
  chachaSealParts: (key, nonce, ad, parts) => [
    chacha20poly1305(key, nonce, asBytes(ad)).encrypt(
      parts.length === 1 ? asBytes(parts[0]!) : concatBytes(...parts),
    ),
  ],
  chachaOpen(key, nonce, ad, ciphertext) {
    try {
      return chacha20poly1305(key, nonce, asBytes(ad)).decrypt(asBytes(ciphertext));
    } catch {
      return undefined;
    }
  },
  xchachaSeal: (key, nonce, ad, plaintext) =>
    xchacha20poly1305(key, nonce, asBytes(ad)).encrypt(asBytes(plaintext)),
  xchachaOpen(key, nonce, ad, ciphertext) {
    try {
      return xchacha20poly1305(key, nonce, asBytes(ad)).decrypt(asBytes(ciphertext));
    } catch {
      return undefined;
    }
  },
  ...mlkem768,
};
