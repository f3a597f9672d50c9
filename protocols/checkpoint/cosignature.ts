import { concatBytes } from '../crypto/index.ts';
import { parseCheckpoint } from './checkpoint.ts';
import { type Ed25519Backend, nodeEd25519 } from './ed25519.ts';
import { ed25519KeyedVerifier, type KeyedSigner, type KeyedVerifier } from './ed25519-note.ts';
import { decodeUtf8, encodeUtf8, u64be } from './encoding.ts';
import { KeyFormatError } from './errors.ts';
import { keyIdentity, SignatureType } from './key-id.ts';
import { MLDSA44_SIGNATURE_SIZE, mldsa44KeyPair, mldsa44Verify } from './mldsa44.ts';

const MAX_TIMESTAMP = (1n << 63n) - 1n;
const SUBTREE_LABEL = encodeUtf8('subtree/v1\n\0');

export interface CosignerOptions {
  /** Clock in milliseconds since the epoch (default Date.now); cosignatures carry seconds. */
  now?: () => number;
}

function seconds(now: () => number): bigint {
  const t = BigInt(Math.floor(now() / 1000));
  if (t < 0n || t > MAX_TIMESTAMP) throw new RangeError('cosignature time out of range');
  return t;
}

/** The u64 timestamp at the front of a timestamped_signature (bytes after the key ID). */
export function cosignatureTimestamp(signature: Uint8Array): bigint {
  if (signature.length < 8) throw new KeyFormatError('cosignature shorter than its timestamp');
  return new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
}

/** The Ed25519 cosignature/v1 message: header, time line, then the whole note text. */
export function ed25519CosignedMessage(timestamp: bigint, text: Uint8Array): Uint8Array {
  return concatBytes(encodeUtf8(`cosignature/v1\ntime ${timestamp}\n`), text);
}

export interface SubtreeStatement {
  cosigner: string;
  /** Seconds; must be 0 when start is not 0. */
  timestamp: bigint;
  origin: string;
  start: bigint;
  end: bigint;
  hash: Uint8Array;
}

/** The ML-DSA-44 cosigned_message (c2sp.org/tlog-cosignature): "subtree/v1\n\0" and the fields. */
export function subtreeMessage(s: SubtreeStatement): Uint8Array {
  const name = encodeUtf8(s.cosigner);
  const origin = encodeUtf8(s.origin);
  if (name.length < 1 || name.length > 255 || origin.length < 1 || origin.length > 255) {
    throw new KeyFormatError('cosigner name and log origin must be 1..255 bytes');
  }
  if (s.start !== 0n && s.timestamp !== 0n) {
    throw new KeyFormatError('a subtree with a non-zero start has timestamp 0');
  }
  if (s.hash.length !== 32) throw new KeyFormatError('subtree hash must be 32 bytes');
  return concatBytes(
    SUBTREE_LABEL,
    Uint8Array.of(name.length),
    name,
    u64be(s.timestamp),
    Uint8Array.of(origin.length),
    origin,
    u64be(s.start),
    u64be(s.end),
    s.hash,
  );
}

/** A timestamped Ed25519 cosigner (type 0x04), as witnesses sign checkpoints. */
export function ed25519Cosigner(
  name: string,
  seed: Uint8Array,
  options: CosignerOptions & { backend?: Ed25519Backend } = {},
): KeyedSigner {
  const pair = (options.backend ?? nodeEd25519).keyPair(seed);
  const now = options.now ?? Date.now;
  return {
    ...keyIdentity(name, SignatureType.ed25519Cosignature, pair.publicKey),
    sign(text) {
      parseCheckpoint(decodeUtf8(text));
      const t = seconds(now);
      return concatBytes(u64be(t), pair.sign(ed25519CosignedMessage(t, text)));
    },
  };
}

export function ed25519CosignatureVerifier(
  name: string,
  publicKey: Uint8Array,
  backend: Ed25519Backend = nodeEd25519,
): KeyedVerifier {
  return ed25519KeyedVerifier(
    name,
    SignatureType.ed25519Cosignature,
    publicKey,
    backend,
    (verify) => (text, signature) => {
      if (signature.length !== 8 + 64) return false;
      const t = cosignatureTimestamp(signature);
      if (t > MAX_TIMESTAMP) return false;
      return verify(ed25519CosignedMessage(t, text), signature.subarray(8));
    },
  );
}

export interface MlDsa44Cosigner extends KeyedSigner {
  /** Sign a subtree statement; returns timestamp ‖ signature (the bytes after the key ID). */
  signSubtree(s: Omit<SubtreeStatement, 'cosigner'>): Uint8Array;
}

export interface MlDsa44Verifier extends KeyedVerifier {
  verifySubtree(
    s: Omit<SubtreeStatement, 'cosigner' | 'timestamp'>,
    signature: Uint8Array,
  ): boolean;
}

/** An ML-DSA-44 cosigner (type 0x06): signs checkpoints as the subtree [0, size). */
export function mldsa44Cosigner(
  name: string,
  seed: Uint8Array,
  options: CosignerOptions = {},
): MlDsa44Cosigner {
  const pair = mldsa44KeyPair(seed);
  const now = options.now ?? Date.now;
  const signSubtree = (s: Omit<SubtreeStatement, 'cosigner'>): Uint8Array =>
    concatBytes(u64be(s.timestamp), pair.sign(subtreeMessage({ ...s, cosigner: name })));
  return {
    ...keyIdentity(name, SignatureType.mldsa44, pair.publicKey),
    signSubtree,
    sign(text) {
      const cp = parseCheckpoint(decodeUtf8(text));
      return signSubtree({
        timestamp: seconds(now),
        origin: cp.origin,
        start: 0n,
        end: cp.size,
        hash: cp.root,
      });
    },
  };
}

export function mldsa44Verifier(name: string, publicKey: Uint8Array): MlDsa44Verifier {
  const verify = mldsa44Verify(publicKey);
  const verifySubtree = (
    s: Omit<SubtreeStatement, 'cosigner' | 'timestamp'>,
    signature: Uint8Array,
  ): boolean => {
    if (signature.length !== 8 + MLDSA44_SIGNATURE_SIZE) return false;
    const timestamp = cosignatureTimestamp(signature);
    if (timestamp > MAX_TIMESTAMP) return false;
    let message: Uint8Array;
    try {
      message = subtreeMessage({ ...s, timestamp, cosigner: name });
    } catch {
      return false;
    }
    return verify(message, signature.subarray(8));
  };
  return {
    ...keyIdentity(name, SignatureType.mldsa44, publicKey),
    verifySubtree,
    verify(text, signature) {
      let cp: ReturnType<typeof parseCheckpoint>;
      try {
        cp = parseCheckpoint(decodeUtf8(text));
      } catch {
        return false; // not a checkpoint: nothing this key type can have signed
      }
      return verifySubtree(
        { origin: cp.origin, start: 0n, end: cp.size, hash: cp.root },
        signature,
      );
    },
  };
}
