import { randomBytes } from 'node:crypto';
import { writeFileAtomic as replaceFile } from '../ledger/store/fs-util.ts';

/**
 * Writes `text` to `path` with troupe's one atomic write (tmp, fsync, rename, directory fsync),
 * so a crash leaves either the old file or the new one. Mode 0600: these files hold keys or the
 * list of keys we trust. A tmp name of its own per write: the CLI and the bridge may both write.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await replaceFile(path, text, {
    mode: 0o600,
    tmp: `${path}.${randomBytes(6).toString('hex')}.tmp`,
  });
}
