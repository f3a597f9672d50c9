/**
 * The primitives the mesh needs, behind one small interface so the hot path can use node:crypto
 * (OpenSSL, 10-30x faster here) while @noble/* stays the portable reference. Both must give
 * identical bytes; test/unit/crypto-backend.test.ts checks that.
 */
export interface CryptoBackend {
  readonly name: string;
  randomBytes(length: number): Uint8Array;
  /** SHA-256 of the concatenation of `parts` (no copy of the concatenation is made). */
  sha256(...parts: Uint8Array[]): Uint8Array;
  hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array;
  /** RFC 5869 HKDF-SHA256. */
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /** A fresh X25519 key pair (the Noise GENERATE_KEYPAIR). */
  x25519Generate(): KeyPair;
  /** X25519; throws InvalidPublicKeyError on a wrong length or a low-order point (all-zero result). */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 (RFC 8439), 12-byte nonce; returns ciphertext ‖ 16-byte tag. */
  chachaSeal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * The same sealing over the concatenation of `parts`, returned as pieces (ciphertext…, tag) so
   * the transport can frame a record with a single copy.
   */
  chachaSealParts(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    parts: readonly Uint8Array[],
  ): Uint8Array[];
  /** Returns undefined when the tag does not verify: an expected event, not an exception. */
  chachaOpen(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    ciphertext: Uint8Array,
  ): Uint8Array | undefined;
  /** XChaCha20-Poly1305 with a 24-byte nonce (safe to pick at random). */
  xchachaSeal(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    plaintext: Uint8Array,
  ): Uint8Array;
  xchachaOpen(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    ciphertext: Uint8Array,
  ): Uint8Array | undefined;
  /** ML-KEM-768 key pair from the 64-byte seed d‖z (FIPS 203 ML-KEM.KeyGen_internal). */
  mlkemKeygen(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  /** Throws KemError on a non-canonical or wrongly sized key; `m` is the 32-byte randomness. */
  mlkemEncapsulate(
    publicKey: Uint8Array,
    m: Uint8Array,
  ): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  /** Implicit rejection: a tampered ciphertext yields a pseudorandom secret, never an error. */
  mlkemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

/** An X25519 key pair: 32-byte private scalar and its public key. */
export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

export const X25519_LENGTH = 32;
export const MLKEM768_PUBLIC_KEY_LENGTH = 1184;
export const MLKEM768_CIPHERTEXT_LENGTH = 1088;
export const MLKEM768_SEED_LENGTH = 64;
export const MLKEM768_MESSAGE_LENGTH = 32;
export const AEAD_TAG_LENGTH = 16;

/** Makes a key pair from a private scalar, or from fresh randomness. */
export function x25519KeyPair(backend: CryptoBackend, privateKey?: Uint8Array): KeyPair {
  if (!privateKey) return backend.x25519Generate();
  if (privateKey.length !== X25519_LENGTH) {
    throw new RangeError(`an X25519 private key is 32 bytes, got ${privateKey.length}`);
  }
  return { privateKey, publicKey: backend.x25519PublicKey(privateKey) };
}
