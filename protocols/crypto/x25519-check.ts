import { X25519_LENGTH } from './backend.ts';
import { isAllZero } from './bytes.ts';
import { InvalidPublicKeyError } from './errors.ts';

export function checkX25519PublicKeyLength(publicKey: Uint8Array): void {
  if (publicKey.length !== X25519_LENGTH) {
    throw new InvalidPublicKeyError(
      `an X25519 public key is 32 bytes, got ${publicKey.length}; the peer sent a malformed key`,
    );
  }
}

/**
 * Both libraries already refuse low-order points, but with different errors; checking the
 * output here makes the two backends fail identically (Noise §12.1 allows aborting on it).
 */
export function checkX25519SharedSecret(shared: Uint8Array): Uint8Array {
  if (isAllZero(shared)) throw lowOrderPoint();
  return shared;
}

export function lowOrderPoint(cause?: unknown): InvalidPublicKeyError {
  return new InvalidPublicKeyError(
    'X25519 with this public key gives an all-zero secret (a low-order point); the peer is ' +
      'misbehaving or the key was tampered with: abort this handshake',
    { cause },
  );
}
