import { closeSync, openSync, readSync } from 'node:fs';
import { LedgerCorruptError } from './errors.ts';
import { checkFrame, FRAME_OVERHEAD } from './frame.ts';
import { MAX_CHECKPOINT_BYTES } from './layout.ts';

/** One framed record of checkpoints.log: a whole signed checkpoint note. */
export interface HistoryRecord {
  offset: number;
  note: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Walk checkpoints.log up to `limit` bytes. `visit` sees each record in order; reading stops at
 * the first bad frame with its index and reason. `onlyLast` reads just the lengths until the last
 * record (open() needs only the newest checkpoint).
 */
export function readHistory(
  path: string,
  limit: number,
  visit: (record: HistoryRecord, index: number) => void,
  options: { onlyLast?: boolean } = {},
): { count: number; error?: { index: number; reason: string } } {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(4);
    let offset = 0;
    let index = 0;
    let last = -1;
    while (offset < limit) {
      if (offset + FRAME_OVERHEAD > limit) {
        return { count: index, error: { index, reason: 'a record is cut short' } };
      }
      readSync(fd, head, 0, 4, offset);
      const len = new DataView(head.buffer).getUint32(0);
      if (len > MAX_CHECKPOINT_BYTES || offset + FRAME_OVERHEAD + len > limit) {
        return { count: index, error: { index, reason: 'a record runs past the end' } };
      }
      if (!options.onlyLast) {
        const error = readRecord(fd, offset, len, index, visit);
        if (error) return { count: index, error };
      }
      last = offset;
      offset += FRAME_OVERHEAD + len;
      index++;
    }
    if (options.onlyLast && last >= 0) {
      readSync(fd, head, 0, 4, last);
      const len = new DataView(head.buffer).getUint32(0);
      const error = readRecord(fd, last, len, index - 1, visit);
      if (error) return { count: index, error };
    }
    return { count: index };
  } finally {
    closeSync(fd);
  }
}

/**
 * The newest record of checkpoints.log, turned into a value by `read` (undefined when the log is
 * empty); a damaged record is a LedgerCorruptError. Opening a ledger and a reader both need it.
 */
export function readLastCheckpoint<T>(
  path: string,
  limit: number,
  read: (note: string) => T,
): T | undefined {
  let last: T | undefined;
  const history = readHistory(
    path,
    limit,
    ({ note }) => {
      last = read(note);
    },
    { onlyLast: true },
  );
  if (history.error) {
    throw new LedgerCorruptError(`checkpoints.log: ${history.error.reason}`, {
      file: 'checkpoints.log',
      index: history.error.index,
    });
  }
  return last;
}

function readRecord(
  fd: number,
  offset: number,
  len: number,
  index: number,
  visit: (record: HistoryRecord, index: number) => void,
): { index: number; reason: string } | undefined {
  const buf = new Uint8Array(FRAME_OVERHEAD + len);
  readSync(fd, buf, 0, buf.length, offset);
  const bad = checkFrame(buf, 0, len);
  if (bad) return { index, reason: bad };
  let note: string;
  try {
    note = strictUtf8.decode(buf.subarray(4, 4 + len));
  } catch {
    return { index, reason: 'checkpoint note is not UTF-8' };
  }
  visit({ offset, note }, index);
  return undefined;
}
