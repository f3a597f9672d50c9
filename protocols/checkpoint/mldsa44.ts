import { ml_dsa44 } from '@noble/post-quantum/ml-dsa.js';
import { KeyFormatError } from './errors.ts';

/** FIPS 204 ML-DSA-44 sizes. */
export const MLDSA44_PUBLIC_KEY_SIZE = 1312;
export const MLDSA44_SIGNATURE_SIZE = 2420;
export const MLDSA44_SEED_SIZE = 32;

export interface MlDsa44KeyPair {
  readonly publicKey: Uint8Array;
  /** Pure ML-DSA-44 with an empty context (hedged: fresh randomness per signature). */
  sign(message: Uint8Array): Uint8Array;
}

/** Expand a 32-byte seed (ML-DSA.KeyGen_internal ξ, what C2SP skeys store) into a key pair. */
export function mldsa44KeyPair(seed: Uint8Array): MlDsa44KeyPair {
  if (seed.length !== MLDSA44_SEED_SIZE)
    throw new KeyFormatError('ML-DSA-44 seed must be 32 bytes');
  const { publicKey, secretKey } = ml_dsa44.keygen(seed.slice());
  return { publicKey, sign: (message) => ml_dsa44.sign(message, secretKey) };
}

/** A verifier for a 1312-byte public key; false (never a throw) on any bad signature. */
export function mldsa44Verify(
  publicKey: Uint8Array,
): (message: Uint8Array, signature: Uint8Array) => boolean {
  if (publicKey.length !== MLDSA44_PUBLIC_KEY_SIZE) {
    throw new KeyFormatError(`ML-DSA-44 public key must be ${MLDSA44_PUBLIC_KEY_SIZE} bytes`);
  }
  const pk = publicKey.slice();
  return (message, signature) => {
    if (signature.length !== MLDSA44_SIGNATURE_SIZE) return false;
    try {
      return ml_dsa44.verify(signature, message, pk);
    } catch {
      return false;
    }
  };
}
