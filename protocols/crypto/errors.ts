/** An X25519 public key that must not be used: wrong length, or a low-order point (all-zero shared secret). */
export class InvalidPublicKeyError extends Error {
  override readonly name = 'InvalidPublicKeyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** ML-KEM refused its input: a non-canonical or wrongly sized encapsulation key, or a wrongly sized ciphertext. */
export class KemError extends Error {
  override readonly name = 'KemError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
