import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsync a directory so a rename or create inside it survives power loss. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replace a file atomically, the one way troupe does it: write a sibling tmp, fsync it, rename
 * over, fsync the directory (without that last step the rename itself can be lost on power
 * loss). A crash leaves the old file or the new one, never half of one; a failed write removes
 * its tmp. `durable: false` skips both fsyncs (derived files that are rebuilt on open).
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: { mode?: number; tmp?: string; durable?: boolean } = {},
): Promise<void> {
  const tmp = options.tmp ?? `${path}.tmp`;
  try {
    const fh = await open(tmp, 'w', options.mode ?? 0o644);
    try {
      await fh.writeFile(data);
      if (options.durable !== false) await fh.datasync();
    } finally {
      await fh.close();
    }
    renameSync(tmp, path);
  } catch (cause) {
    await rm(tmp, { force: true }).catch(() => {});
    throw cause;
  }
  if (options.durable !== false) fsyncDir(dirname(path));
}

/** writeFileAtomic, synchronous, for small files written once (keys, the LEDGER marker). */
export function writeFileAtomicSync(path: string, data: Uint8Array | string, mode = 0o644): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data, { mode });
  const fd = openSync(tmp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}
