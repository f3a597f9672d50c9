import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { LedgerLockedError } from './errors.ts';

/** Whether a process with this pid runs (EPERM: it does, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the directory's writer lock: a LOCK file naming this process. A lock left by a process
 * that no longer runs (kill -9, power loss) is taken over; a live holder is a typed error.
 * Returns the release function.
 */
export function lockLedger(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(path, 'utf8') === `${process.pid}\n`) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new LedgerLockedError(`the ledger is open for writing in process ${pid}`, pid);
      }
      if (pid === process.pid) {
        throw new LedgerLockedError('the ledger is already open for writing in this process', pid);
      }
      unlinkSync(path); // stale: its writer is gone
    }
  }
  throw new LedgerLockedError('could not take the ledger lock', 0);
}

/** The pid holding the writer lock, if that process is alive. */
export function liveLockHolder(path: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
  } catch {
    return undefined;
  }
  return Number.isSafeInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined;
}
