import { NamedError } from '../named-error.ts';

/** Base of every error the Noise layer throws; catch this to catch them all. */
export class NoiseError extends NamedError {}

/** An AEAD tag did not verify: the bytes were tampered with, reordered, replayed or keyed wrongly. */
export class DecryptError extends NoiseError {}

/** The nonce reached 2^64-1, which Noise reserves: this cipher state may not be used again. */
export class NonceExhaustedError extends NoiseError {}

/** Base of handshake failures. `messageIndex` is 0 for message 1 (`-> e, e1`). The state is destroyed. */
export class HandshakeError extends NoiseError {
  constructor(
    message: string,
    readonly messageIndex: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A handshake message shorter than its tokens need (truncated), or longer than 65535 bytes. */
export class MalformedHandshakeMessageError extends HandshakeError {}

/**
 * An XXhfs message 1 too short to hold the ML-KEM key `e1`: a classical Noise_XX peer, or an
 * attacker who stripped `e1`. There is no classical fallback, ever.
 */
export class DowngradeError extends MalformedHandshakeMessageError {}

/**
 * A cryptographic check failed during the handshake: an AEAD tag, a low-order X25519 point, an
 * ML-KEM key that fails the modulus check or a tampered ML-KEM ciphertext. All of these take this
 * one path on purpose (no oracle telling which check failed); `cause` keeps the detail locally.
 */
export class HandshakeRejectedError extends HandshakeError {}

/** The peer authenticated with a static key we did not expect (pinning, roster). */
export class UnexpectedStaticKeyError extends HandshakeError {
  constructor(
    message: string,
    messageIndex: number,
    readonly remoteStatic: Uint8Array,
    options?: ErrorOptions,
  ) {
    super(message, messageIndex, options);
  }
}

/** The handshake was used out of turn, after it finished, or after an error destroyed it. */
export class HandshakeStateError extends HandshakeError {}
