import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import type { CryptoBackend } from './backend.ts';
import { AEAD_TAG_LENGTH, X25519_LENGTH } from './backend.ts';
import { asBytes } from './bytes.ts';
import { mlkem768 } from './kem.ts';
import {
  checkX25519PublicKeyLength,
  checkX25519SharedSecret,
  lowOrderPoint,
} from './x25519-check.ts';

// OpenSSL takes raw X25519 keys only inside DER wrappers: these are the fixed RFC 8410 prefixes.
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

// Importing a raw private key through PKCS#8 DER costs ~350 µs in OpenSSL 3 (decoder lookup),
// ten times the DH itself, so private KeyObjects are cached per Uint8Array (with a copy of the
// bytes, so a reused or wiped array is never matched to a stale key).
const privateKeys = new WeakMap<Uint8Array, { bytes: Buffer; key: KeyObject }>();

function privateKeyObject(privateKey: Uint8Array): KeyObject {
  if (privateKey.length !== X25519_LENGTH) {
    throw new RangeError(`an X25519 private key is 32 bytes, got ${privateKey.length}`);
  }
  const hit = privateKeys.get(privateKey);
  if (hit && timingSafeEqual(hit.bytes, privateKey)) return hit.key;
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_X25519_PREFIX, privateKey]),
    format: 'der',
    type: 'pkcs8',
  });
  privateKeys.set(privateKey, { bytes: Buffer.from(privateKey), key });
  return key;
}

/** The raw 32 bytes of an X25519 public key: the tail of its SPKI DER. */
function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - X25519_LENGTH));
}

/** Public keys go in as JWK: ~10 µs against ~80 µs for SPKI DER. */
function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
}

const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

function words(bytes: Uint8Array, count: number): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getUint32(4 * i, true);
  return out;
}

/** XChaCha20 = ChaCha20 under HChaCha20(key, nonce[0..16]) with nonce 0^4 ‖ nonce[16..24]. */
function xchachaSubkey(key: Uint8Array, nonce: Uint8Array): { subkey: Buffer; nonce12: Buffer } {
  if (key.length !== 32) throw new RangeError(`an XChaCha20 key is 32 bytes, got ${key.length}`);
  if (nonce.length !== 24) {
    throw new RangeError(`an XChaCha20 nonce is 24 bytes, got ${nonce.length}`);
  }
  const out = new Uint32Array(8);
  hchacha(SIGMA, words(key, 8), words(nonce, 4), out);
  const subkey = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) subkey.writeUInt32LE(out[i]!, 4 * i);
  const nonce12 = Buffer.alloc(12);
  nonce12.set(nonce.subarray(16, 24), 4);
  return { subkey, nonce12 };
}

function seal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array) {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  c.setAAD(ad, { plaintextLength: plaintext.length });
  const head = c.update(plaintext);
  c.final();
  return asBytes(Buffer.concat([head, c.getAuthTag()]));
}

function sealParts(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  parts: readonly Uint8Array[],
): Uint8Array[] {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  let length = 0;
  for (const p of parts) length += p.length;
  c.setAAD(ad, { plaintextLength: length });
  const out: Uint8Array[] = [];
  for (const p of parts) if (p.length > 0) out.push(c.update(p));
  c.final();
  out.push(c.getAuthTag());
  return out;
}

function open(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array) {
  if (ciphertext.length < AEAD_TAG_LENGTH) return undefined;
  const body = ciphertext.length - AEAD_TAG_LENGTH;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, {
    authTagLength: AEAD_TAG_LENGTH,
  });
  d.setAAD(ad, { plaintextLength: body });
  d.setAuthTag(ciphertext.subarray(body));
  const plain = d.update(ciphertext.subarray(0, body));
  try {
    d.final();
  } catch {
    plain.fill(0);
    return undefined;
  }
  return asBytes(plain);
}

/** The hot path: OpenSSL through node:crypto; ML-KEM from @noble/post-quantum (Node 20 has none). */
export const nodeBackend: CryptoBackend = {
  name: 'node',
  randomBytes: (length) => asBytes(randomBytes(length)),
  sha256(...parts) {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return asBytes(h.digest());
  },
  hmacSha256(key, ...parts) {
    const h = createHmac('sha256', key);
    for (const p of parts) h.update(p);
    return asBytes(h.digest());
  },
  hkdf: (ikm, salt, info, length) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, length)),
  x25519PublicKey(privateKey) {
    return rawPublicKey(privateKeyObject(privateKey));
  },
  x25519Generate() {
    // Any 32 random bytes are an X25519 private key (the scalar is clamped when used).
    // Not generateKeyPairSync: on Node 20, exporting a key whose KeyGenJob the GC collects
    // during the export deadlocks the process (the job's destructor takes the key's mutex,
    // which the JWK export holds while it allocates) — seen as a test worker frozen in a futex.
    const privateKey = new Uint8Array(randomBytes(X25519_LENGTH));
    return { privateKey, publicKey: rawPublicKey(privateKeyObject(privateKey)) };
  },
  x25519(privateKey, publicKey) {
    checkX25519PublicKeyLength(publicKey);
    let shared: Buffer;
    try {
      shared = diffieHellman({
        privateKey: privateKeyObject(privateKey),
        publicKey: publicKeyObject(publicKey),
      });
    } catch (cause) {
      // OpenSSL refuses an all-zero result ("failed during derivation"): a low-order point.
      throw lowOrderPoint(cause);
    }
    return checkX25519SharedSecret(asBytes(shared));
  },
  chachaSeal: seal,
  chachaSealParts: sealParts,
  chachaOpen: open,
  xchachaSeal(key, nonce, ad, plaintext) {
    const { subkey, nonce12 } = xchachaSubkey(key, nonce);
    const out = seal(subkey, nonce12, ad, plaintext);
    subkey.fill(0);
    return out;
  },
  xchachaOpen(key, nonce, ad, ciphertext) {
    const { subkey, nonce12 } = xchachaSubkey(key, nonce);
    const out = open(subkey, nonce12, ad, ciphertext);
    subkey.fill(0);
    return out;
  },
  ...mlkem768,
};
