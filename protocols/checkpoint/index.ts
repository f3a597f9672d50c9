export { type Checkpoint, formatCheckpoint, parseCheckpoint } from './checkpoint.ts';
export {
  type CosignerOptions,
  cosignatureTimestamp,
  ed25519CosignatureVerifier,
  ed25519CosignedMessage,
  ed25519Cosigner,
  type MlDsa44Cosigner,
  type MlDsa44Verifier,
  mldsa44Cosigner,
  mldsa44Verifier,
  type SubtreeStatement,
  subtreeMessage,
} from './cosignature.ts';
export { type Ed25519Backend, type Ed25519KeyPair, nobleEd25519, nodeEd25519 } from './ed25519.ts';
export {
  ed25519NoteSigner,
  ed25519NoteVerifier,
  type KeyedSigner,
  type KeyedVerifier,
} from './ed25519-note.ts';
export {
  CheckpointFormatError,
  KeyFormatError,
  NoteFormatError,
  NoteSignatureError,
  NoteUnverifiedError,
} from './errors.ts';
export { computeKeyId, isValidKeyName, keyIdHex, SignatureType } from './key-id.ts';
export {
  formatSkey,
  formatVkey,
  parseSkey,
  parseVkey,
  type SignerKey,
  signerFromSeed,
  type VerifierKey,
  verifierFromVkey,
  vkeyOf,
} from './keys.ts';
export {
  MLDSA44_PUBLIC_KEY_SIZE,
  MLDSA44_SEED_SIZE,
  MLDSA44_SIGNATURE_SIZE,
  mldsa44KeyPair,
} from './mldsa44.ts';
export {
  addSignatures,
  checkNoteText,
  formatNote,
  formatSignatureLine,
  MAX_NOTE_BYTES,
  MAX_SIGNATURES,
  type Note,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
  type OpenOptions,
  openNote,
  parseNote,
  signNote,
} from './note.ts';
export {
  type AddCheckpointRequest,
  formatAddCheckpointRequest,
  MAX_PROOF_LINES,
  parseAddCheckpointRequest,
} from './witness-request.ts';
