import { isValidKeyName } from '../../../protocols/checkpoint/index.ts';
import { LedgerCorruptError } from './errors.ts';
import { FORMAT_LINE } from './layout.ts';

/** The LEDGER file: the format line and the origin, each newline-terminated; nothing else. */
export function formatMeta(origin: string): string {
  return `${FORMAT_LINE}\norigin ${origin}\n`;
}

export function parseMeta(text: string): { origin: string } {
  const m = /^troupe-ledger 1\norigin ([^\n]+)\n$/.exec(text);
  if (!m)
    throw new LedgerCorruptError('LEDGER is not a troupe-ledger 1 marker', { file: 'LEDGER' });
  const origin = m[1]!;
  if (!isValidKeyName(origin)) {
    throw new LedgerCorruptError('LEDGER origin is not a valid key name', { file: 'LEDGER' });
  }
  return { origin };
}

/** The vkeys file: the log's public keys, one vkey per line, Ed25519 first. */
export function formatVkeys(vkeys: readonly string[]): string {
  return vkeys.map((v) => `${v}\n`).join('');
}

export function parseVkeys(text: string): string[] {
  if (!text.endsWith('\n')) {
    throw new LedgerCorruptError('vkeys must end with a newline', { file: 'vkeys' });
  }
  return text.slice(0, -1).split('\n');
}

/** Origins are key names too: non-empty, no spaces, no '+', at most 255 bytes (ML-DSA message). */
export function checkOrigin(origin: string): void {
  if (!isValidKeyName(origin) || Buffer.byteLength(origin) > 255) {
    throw new RangeError(
      `ledger origin ${JSON.stringify(origin)} must be a valid key name ≤ 255 bytes`,
    );
  }
}
