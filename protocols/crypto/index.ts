export {
  AEAD_TAG_LENGTH,
  type CryptoBackend,
  type KeyPair,
  MLKEM768_CIPHERTEXT_LENGTH,
  MLKEM768_MESSAGE_LENGTH,
  MLKEM768_PUBLIC_KEY_LENGTH,
  MLKEM768_SEED_LENGTH,
  X25519_LENGTH,
  x25519KeyPair,
} from './backend.ts';
export {
  asBytes,
  concatBytes,
  constantTimeEqual,
  fromHex,
  isAllZero,
  toHex,
  wipe,
} from './bytes.ts';
export { InvalidPublicKeyError, KemError } from './errors.ts';
export { nobleBackend } from './noble-backend.ts';
export { nodeBackend } from './node-backend.ts';
