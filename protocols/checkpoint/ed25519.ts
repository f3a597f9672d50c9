import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { KeyFormatError } from './errors.ts';

/** An Ed25519 private key bound to its public key: signs bytes, deterministically (RFC 8032). */
export interface Ed25519KeyPair {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** The one small interface both Ed25519 implementations meet; they must give identical bytes. */
export interface Ed25519Backend {
  readonly name: string;
  /** From a 32-byte RFC 8032 seed. */
  keyPair(seed: Uint8Array): Ed25519KeyPair;
  /** A verifier for a 32-byte public key; false (never a throw) on any bad signature. */
  verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean;
}

// DER wrappers that turn raw RFC 8032 keys into node:crypto KeyObjects (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function checkLength(bytes: Uint8Array, what: string): void {
  if (bytes.length !== 32) throw new KeyFormatError(`Ed25519 ${what} must be 32 bytes`);
}

/** node:crypto (OpenSSL): about 10× faster than @noble here; the hot path. */
export const nodeEd25519: Ed25519Backend = {
  name: 'node:crypto',
  keyPair(seed) {
    checkLength(seed, 'seed');
    const key = createPrivateKey({
      key: Buffer.concat([PKCS8_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
    const publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length));
    return { publicKey, sign: (message) => new Uint8Array(sign(null, message, key)) };
  },
  verifier(publicKey) {
    checkLength(publicKey, 'public key');
    let key: ReturnType<typeof createPublicKey>;
    try {
      key = createPublicKey({
        key: Buffer.concat([SPKI_PREFIX, publicKey]),
        format: 'der',
        type: 'spki',
      });
    } catch (err) {
      throw new KeyFormatError('not an Ed25519 public key', { cause: err });
    }
    return (message, signature) => {
      if (signature.length !== 64) return false;
      try {
        return verify(null, message, key, signature);
      } catch {
        return false;
      }
    };
  },
};

/** @noble/curves: the portable reference, for browsers and cross-checks. */
export const nobleEd25519: Ed25519Backend = {
  name: '@noble/curves',
  keyPair(seed) {
    checkLength(seed, 'seed');
    const s = seed.slice();
    return {
      publicKey: ed25519.getPublicKey(s),
      sign: (message) => ed25519.sign(message, s),
    };
  },
  verifier(publicKey) {
    checkLength(publicKey, 'public key');
    const pk = publicKey.slice();
    return (message, signature) => {
      if (signature.length !== 64) return false;
      try {
        return ed25519.verify(signature, message, pk, { zip215: false });
      } catch {
        return false;
      }
    };
  },
};
