import {
  type CosignerOptions,
  ed25519CosignatureVerifier,
  ed25519Cosigner,
  mldsa44Cosigner,
  mldsa44Verifier,
} from './cosignature.ts';
import {
  ed25519NoteSigner,
  ed25519NoteVerifier,
  type KeyedSigner,
  type KeyedVerifier,
} from './ed25519-note.ts';
import { decodeBase64Strict, encodeBase64 } from './encoding.ts';
import { KeyFormatError } from './errors.ts';
import { computeKeyId, isValidKeyName, keyIdHex, SignatureType } from './key-id.ts';
import { MLDSA44_PUBLIC_KEY_SIZE, MLDSA44_SEED_SIZE } from './mldsa44.ts';

/** A parsed verifier key: `<name>+<hex key ID>+<base64(type ‖ public key)>`. */
export interface VerifierKey {
  name: string;
  keyId: number;
  type: number;
  publicKey: Uint8Array;
}

/** A parsed signer key: `PRIVATE+KEY+<name>+<hex key ID>+<base64(type ‖ seed)>` (Go note format). */
export interface SignerKey {
  name: string;
  keyId: number;
  type: number;
  seed: Uint8Array;
}

const PUBLIC_KEY_SIZE: Record<number, number> = {
  [SignatureType.ed25519]: 32,
  [SignatureType.ed25519Cosignature]: 32,
  [SignatureType.mldsa44]: MLDSA44_PUBLIC_KEY_SIZE,
};
const SEED_SIZE: Record<number, number> = {
  [SignatureType.ed25519]: 32,
  [SignatureType.ed25519Cosignature]: 32,
  [SignatureType.mldsa44]: MLDSA44_SEED_SIZE,
};

function checkType(type: number): void {
  if (!(type in PUBLIC_KEY_SIZE)) {
    throw new KeyFormatError(`unsupported signature type 0x${type.toString(16)}`);
  }
}

export function formatVkey(key: Omit<VerifierKey, 'keyId'>): string {
  checkType(key.type);
  if (!isValidKeyName(key.name)) throw new KeyFormatError(`bad key name ${key.name}`);
  if (key.publicKey.length !== PUBLIC_KEY_SIZE[key.type]) {
    throw new KeyFormatError('public key has the wrong length for its type');
  }
  const id = computeKeyId(key.name, key.type, key.publicKey);
  const material = new Uint8Array(1 + key.publicKey.length);
  material[0] = key.type;
  material.set(key.publicKey, 1);
  return `${key.name}+${keyIdHex(id)}+${encodeBase64(material)}`;
}

function splitKey(s: string, what: string): { name: string; id: number; material: Uint8Array } {
  const parts = s.split('+');
  // base64 may itself contain '+': the name and hex ID are the first two fields.
  if (parts.length < 3) throw new KeyFormatError(`${what} needs name+keyid+key`);
  const name = parts[0]!;
  const hex = parts[1]!;
  const b64 = parts.slice(2).join('+');
  if (!isValidKeyName(name)) throw new KeyFormatError(`${what} has a bad key name`);
  if (!/^[0-9a-f]{8}$/.test(hex))
    throw new KeyFormatError(`${what} key ID is not 8 lowercase hex digits`);
  const material = decodeBase64Strict(b64);
  if (!material || material.length < 2) throw new KeyFormatError(`${what} key is not base64`);
  return { name, id: Number.parseInt(hex, 16), material };
}

/** Parse a vkey, checking its type, key length and that its key ID matches the key. */
export function parseVkey(s: string): VerifierKey {
  const { name, id, material } = splitKey(s, 'vkey');
  const type = material[0]!;
  checkType(type);
  const publicKey = material.subarray(1);
  if (publicKey.length !== PUBLIC_KEY_SIZE[type]) {
    throw new KeyFormatError('vkey public key has the wrong length for its type');
  }
  if (computeKeyId(name, type, publicKey) !== id) {
    throw new KeyFormatError('vkey key ID does not match its key');
  }
  return { name, keyId: id, type, publicKey };
}

/** The note verifier a vkey describes (types 0x01, 0x04, 0x06). */
export function verifierFromVkey(vkey: string | VerifierKey): KeyedVerifier {
  const k = typeof vkey === 'string' ? parseVkey(vkey) : vkey;
  switch (k.type) {
    case SignatureType.ed25519:
      return ed25519NoteVerifier(k.name, k.publicKey);
    case SignatureType.ed25519Cosignature:
      return ed25519CosignatureVerifier(k.name, k.publicKey);
    case SignatureType.mldsa44:
      return mldsa44Verifier(k.name, k.publicKey);
    default:
      throw new KeyFormatError(`unsupported signature type 0x${k.type.toString(16)}`);
  }
}

/** The signer a seed gives for a signature type. */
export function signerFromSeed(
  name: string,
  type: number,
  seed: Uint8Array,
  options: CosignerOptions = {},
): KeyedSigner {
  switch (type) {
    case SignatureType.ed25519:
      return ed25519NoteSigner(name, seed);
    case SignatureType.ed25519Cosignature:
      return ed25519Cosigner(name, seed, options);
    case SignatureType.mldsa44:
      return mldsa44Cosigner(name, seed, options);
    default:
      throw new KeyFormatError(`unsupported signature type 0x${type.toString(16)}`);
  }
}

/** An skey string for a seed; its key ID is computed from the public key the seed gives. */
export function formatSkey(name: string, type: number, seed: Uint8Array): string {
  checkType(type);
  if (seed.length !== SEED_SIZE[type]) throw new KeyFormatError('seed has the wrong length');
  const signer = signerFromSeed(name, type, seed);
  const material = new Uint8Array(1 + seed.length);
  material[0] = type;
  material.set(seed, 1);
  return `PRIVATE+KEY+${name}+${keyIdHex(signer.keyId)}+${encodeBase64(material)}`;
}

/** Parse an skey, checking that its key ID matches the public key its seed gives. */
export function parseSkey(s: string): SignerKey {
  if (!s.startsWith('PRIVATE+KEY+')) throw new KeyFormatError('skey must start with PRIVATE+KEY+');
  const { name, id, material } = splitKey(s.slice('PRIVATE+KEY+'.length), 'skey');
  const type = material[0]!;
  checkType(type);
  const seed = material.subarray(1);
  if (seed.length !== SEED_SIZE[type]) throw new KeyFormatError('skey seed has the wrong length');
  if (signerFromSeed(name, type, seed).keyId !== id) {
    throw new KeyFormatError('skey key ID does not match its key');
  }
  return { name, keyId: id, type, seed };
}

/** The vkey matching a signer. */
export function vkeyOf(signer: KeyedSigner): string {
  return formatVkey({ name: signer.name, type: signer.type, publicKey: signer.publicKey });
}
