import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { CryptoBackend } from './backend.ts';
import {
  MLKEM768_CIPHERTEXT_LENGTH,
  MLKEM768_MESSAGE_LENGTH,
  MLKEM768_PUBLIC_KEY_LENGTH,
  MLKEM768_SEED_LENGTH,
} from './backend.ts';
import { KemError } from './errors.ts';

// ML-KEM-768 comes from @noble/post-quantum in both backends: node:crypto on Node 20 has no ML-KEM.

export const mlkem768: Pick<
  CryptoBackend,
  'mlkemKeygen' | 'mlkemEncapsulate' | 'mlkemDecapsulate'
> = {
  mlkemKeygen(seed) {
    if (seed.length !== MLKEM768_SEED_LENGTH) {
      throw new KemError(`the ML-KEM-768 keygen seed d‖z is 64 bytes, got ${seed.length}`);
    }
    return ml_kem768.keygen(seed);
  },
  mlkemEncapsulate(publicKey, m) {
    if (publicKey.length !== MLKEM768_PUBLIC_KEY_LENGTH) {
      throw new KemError(`an ML-KEM-768 encapsulation key is 1184 bytes, got ${publicKey.length}`);
    }
    if (m.length !== MLKEM768_MESSAGE_LENGTH) {
      throw new KemError(`the ML-KEM-768 encapsulation randomness is 32 bytes, got ${m.length}`);
    }
    try {
      return ml_kem768.encapsulate(publicKey, m);
    } catch (cause) {
      // FIPS 203 §7.2 modulus check: a coefficient >= q means the key was not made by KeyGen.
      throw new KemError('the ML-KEM-768 encapsulation key is not canonical (modulus check)', {
        cause,
      });
    }
  },
  mlkemDecapsulate(cipherText, secretKey) {
    if (cipherText.length !== MLKEM768_CIPHERTEXT_LENGTH) {
      throw new KemError(`an ML-KEM-768 ciphertext is 1088 bytes, got ${cipherText.length}`);
    }
    try {
      return ml_kem768.decapsulate(cipherText, secretKey);
    } catch (cause) {
      throw new KemError('ML-KEM-768 decapsulation refused its secret key', { cause });
    }
  },
};
