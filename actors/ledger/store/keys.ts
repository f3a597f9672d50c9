import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type CosignerOptions,
  formatSkey,
  type KeyedSigner,
  type KeyedVerifier,
  type MlDsa44Cosigner,
  mldsa44Cosigner,
  parseSkey,
  parseVkey,
  SignatureType,
  signerFromSeed,
  verifierFromVkey,
  vkeyOf,
} from '../../../protocols/checkpoint/index.ts';
import { LedgerKeyError } from './errors.ts';
import { writeFileAtomicSync } from './fs-util.ts';

/** The log's two signing keys, both named for its origin (so they differ only by key ID). */
export interface LedgerKeys {
  origin: string;
  /** Ed25519 note signature (type 0x01): what every C2SP client checks. */
  signer: KeyedSigner;
  /** ML-DSA-44 cosignature (type 0x06): post-quantum assurance over (origin, size, root). */
  cosigner: MlDsa44Cosigner;
  /** The matching vkeys, Ed25519 first. */
  vkeys: string[];
}

export const ED25519_SKEY_FILE = 'log-ed25519.skey';
export const MLDSA44_SKEY_FILE = 'log-mldsa44.skey';

/**
 * The seed in an skey file, generated (mode 0600, never overwritten) when the file is missing.
 * Refuses a file others can read, a malformed one, or one for another name or type.
 */
export function loadOrCreateSeed(path: string, origin: string, type: number): Uint8Array {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const seed = randomBytes(32);
    // 0600 from the first byte: the tmp file is created with the mode, then renamed.
    writeFileAtomicSync(path, `${formatSkey(origin, type, seed)}\n`, 0o600);
    return seed;
  }
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new LedgerKeyError(
      `${path} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it`,
    );
  }
  const text = readFileSync(path, 'utf8');
  if (!text.endsWith('\n') || text.indexOf('\n') !== text.length - 1) {
    throw new LedgerKeyError(`${path} must hold one skey line`);
  }
  let key: ReturnType<typeof parseSkey>;
  try {
    key = parseSkey(text.slice(0, -1));
  } catch (err) {
    throw new LedgerKeyError(`${path} is not a valid skey`, { cause: err });
  }
  if (key.name !== origin || key.type !== type) {
    throw new LedgerKeyError(`${path} is a key for ${key.name} type ${key.type}, not ${origin}`);
  }
  return key.seed;
}

/**
 * Load the log keys from `keysDir`, generating any that are missing (mode 0600). A new key for a
 * ledger that already signed checkpoints is caught when open() checks the last checkpoint.
 */
export function loadOrCreateLedgerKeys(
  keysDir: string,
  origin: string,
  options: CosignerOptions = {},
): LedgerKeys {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const edSeed = loadOrCreateSeed(join(keysDir, ED25519_SKEY_FILE), origin, SignatureType.ed25519);
  const pqSeed = loadOrCreateSeed(join(keysDir, MLDSA44_SKEY_FILE), origin, SignatureType.mldsa44);
  return ledgerKeysFromSeeds(origin, edSeed, pqSeed, options);
}

/** Keys from raw seeds (tests, or a caller with its own secret store). */
export function ledgerKeysFromSeeds(
  origin: string,
  ed25519Seed: Uint8Array,
  mldsa44Seed: Uint8Array,
  options: CosignerOptions = {},
): LedgerKeys {
  const signer = signerFromSeed(origin, SignatureType.ed25519, ed25519Seed);
  const cosigner = mldsa44Cosigner(origin, mldsa44Seed, options);
  return { origin, signer, cosigner, vkeys: [vkeyOf(signer), vkeyOf(cosigner)] };
}

/**
 * Verifiers for a ledger's checkpoints from its vkeys: exactly one Ed25519 (0x01) and one
 * ML-DSA-44 (0x06) key, both named for the origin.
 */
export function ledgerVerifiers(origin: string, vkeys: readonly string[]): KeyedVerifier[] {
  const parsed = vkeys.map((v) => {
    try {
      return parseVkey(v);
    } catch (err) {
      throw new LedgerKeyError(`bad vkey ${v.slice(0, 40)}…`, { cause: err });
    }
  });
  const types = parsed.map((k) => k.type).sort();
  if (
    parsed.length !== 2 ||
    types[0] !== SignatureType.ed25519 ||
    types[1] !== SignatureType.mldsa44 ||
    parsed.some((k) => k.name !== origin)
  ) {
    throw new LedgerKeyError(`a ledger needs one Ed25519 and one ML-DSA-44 vkey named ${origin}`);
  }
  return parsed.map((k) => verifierFromVkey(k));
}
