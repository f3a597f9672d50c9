import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SecretsKeyInvalid, SecretsKeyMissing } from './errors.ts';

export const KEY_BYTES = 32;

/** 32 bytes from 64 hex characters or base64 (what `troupe secrets keygen` prints). */
export function parseMasterKey(text: string, where: string): Uint8Array {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return new Uint8Array(Buffer.from(t, 'hex'));
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
    if (b.length === KEY_BYTES) return new Uint8Array(b);
  }
  throw new SecretsKeyInvalid(
    `${where}: a master key is 32 bytes as 64 hex characters or base64 (make one with: troupe secrets keygen)`,
  );
}

/**
 * The store's master key: TROUPE_SECRETS_KEY, else the file named by TROUPE_SECRETS_KEY_FILE.
 * The key never goes to an agent: agents get their own decrypted secrets on a pipe.
 */
export function masterKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Uint8Array {
  const inline = env.TROUPE_SECRETS_KEY;
  if (inline !== undefined && inline !== '') return parseMasterKey(inline, 'TROUPE_SECRETS_KEY');
  const file = env.TROUPE_SECRETS_KEY_FILE;
  if (file !== undefined && file !== '') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new SecretsKeyMissing(`cannot read TROUPE_SECRETS_KEY_FILE ${file}`, { cause });
    }
    return parseMasterKey(text, file);
  }
  throw new SecretsKeyMissing(
    'no master key: set TROUPE_SECRETS_KEY or TROUPE_SECRETS_KEY_FILE (make one with: troupe secrets keygen)',
  );
}

/** A fresh master key, as 64 hex characters. */
export function newMasterKey(): string {
  return randomBytes(KEY_BYTES).toString('hex');
}
