import { encodeUtf8, sha256 } from './encoding.ts';
import { NoteFormatError } from './errors.ts';

/** Signature type bytes assigned by c2sp.org/signed-note and c2sp.org/tlog-cosignature. */
export const SignatureType = {
  /** Ed25519 over the note text. */
  ed25519: 0x01,
  /** Timestamped Ed25519 witness cosignature (cosignature/v1). */
  ed25519Cosignature: 0x04,
  /** Timestamped ML-DSA-44 cosignature over a subtree/v1 message. */
  mldsa44: 0x06,
} as const;
export type SignatureType = (typeof SignatureType)[keyof typeof SignatureType];

/** Key names are non-empty, contain no Unicode space and no '+' (c2sp.org/signed-note). */
export function isValidKeyName(name: string): boolean {
  if (name.length === 0 || /[\s\u0085+]/u.test(name)) return false;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) < 0x20) return false;
  return true;
}

export function checkKeyName(name: string): void {
  if (!isValidKeyName(name)) {
    throw new NoteFormatError(`key name ${JSON.stringify(name)} is empty or has a space or '+'`);
  }
}

/** key ID = SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4], as a big-endian u32. */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const h = sha256(encodeUtf8(name), Uint8Array.of(0x0a, type), publicKey);
  return new DataView(h.buffer, h.byteOffset, 4).getUint32(0);
}

/** What every note signer and verifier exposes about its key; checks the name first. */
export function keyIdentity(
  name: string,
  type: number,
  publicKey: Uint8Array,
): { name: string; type: number; publicKey: Uint8Array; keyId: number } {
  checkKeyName(name);
  return { name, type, publicKey, keyId: computeKeyId(name, type, publicKey) };
}

export function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}
