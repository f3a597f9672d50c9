import { NamedError } from '../named-error.ts';

/** An X25519 public key that must not be used: wrong length, or a low-order point (all-zero shared secret). */
export class InvalidPublicKeyError extends NamedError {}

/** ML-KEM refused its input: a non-canonical or wrongly sized encapsulation key, or a wrongly sized ciphertext. */
export class KemError extends NamedError {}
