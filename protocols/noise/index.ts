export { CipherState, MAX_NONCE } from './cipher-state.ts';
export {
  DecryptError,
  DowngradeError,
  HandshakeError,
  HandshakeRejectedError,
  HandshakeStateError,
  MalformedHandshakeMessageError,
  NoiseError,
  NonceExhaustedError,
  UnexpectedStaticKeyError,
} from './errors.ts';
export {
  type HandshakeOptions,
  type HandshakeResult,
  HandshakeState,
  MAX_NOISE_MESSAGE,
} from './handshake-state.ts';
export {
  NOISE_XX,
  NOISE_XXHFS,
  type NoiseProtocol,
  protocolByName,
  type Token,
} from './pattern.ts';
export { SymmetricState } from './symmetric-state.ts';
