import { type Ed25519Backend, nodeEd25519 } from './ed25519.ts';
import { keyIdentity, SignatureType } from './key-id.ts';
import type { NoteSigner, NoteVerifier } from './note.ts';

export interface KeyedSigner extends NoteSigner {
  readonly type: number;
  readonly publicKey: Uint8Array;
}

export interface KeyedVerifier extends NoteVerifier {
  readonly type: number;
  readonly publicKey: Uint8Array;
}

/**
 * An Ed25519 verifier of one signature type. The note (0x01) and cosignature (0x04) types share
 * the key handling and differ only in what the key signed, which `frame` checks with `verify`.
 */
export function ed25519KeyedVerifier(
  name: string,
  type: SignatureType,
  publicKey: Uint8Array,
  backend: Ed25519Backend,
  frame: (verify: ReturnType<Ed25519Backend['verifier']>) => NoteVerifier['verify'],
): KeyedVerifier {
  const verify = frame(backend.verifier(publicKey));
  return { ...keyIdentity(name, type, publicKey), verify };
}

/** A plain Ed25519 note signer (type 0x01): signs the note text itself. */
export function ed25519NoteSigner(
  name: string,
  seed: Uint8Array,
  backend: Ed25519Backend = nodeEd25519,
): KeyedSigner {
  const pair = backend.keyPair(seed);
  return {
    ...keyIdentity(name, SignatureType.ed25519, pair.publicKey),
    sign: (text) => pair.sign(text),
  };
}

/** Verifies plain Ed25519 note signatures (type 0x01). */
export function ed25519NoteVerifier(
  name: string,
  publicKey: Uint8Array,
  backend: Ed25519Backend = nodeEd25519,
): KeyedVerifier {
  return ed25519KeyedVerifier(name, SignatureType.ed25519, publicKey, backend, (verify) => verify);
}
