import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { LedgerCorruptError, LedgerProofError } from './errors.ts';
import { FRAME_OVERHEAD } from './frame.ts';
import { readHistory } from './history.ts';
import { ledgerPaths } from './layout.ts';
import { decodeState } from './state-record.ts';
import { decodeStoredEntry } from './stored-entry.ts';
import type { StoredEntry } from './types.ts';

const BLOCK = 1 << 20;

/** The record body at position `index` of a framed log (committed bytes only), by hopping lengths. */
function nthBody(path: string, limit: number, index: number, file: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(BLOCK);
    let bufStart = 0;
    let bufEnd = 0;
    const read = (at: number, n: number): Uint8Array => {
      if (at >= bufStart && at + n <= bufEnd) return buf.subarray(at - bufStart, at - bufStart + n);
      if (n > BLOCK) {
        const big = new Uint8Array(n);
        if (readSync(fd, big, 0, n, at) !== n) throw new Error('short read');
        return big;
      }
      bufStart = at;
      bufEnd = at + readSync(fd, buf, 0, Math.min(BLOCK, limit - at), at);
      if (at + n > bufEnd) throw new Error('short read');
      return buf.subarray(0, n);
    };
    let at = 0;
    for (let i = 0; i < index; i++) {
      if (at + 4 > limit) throw new Error('log shorter than its entry count');
      const h = read(at, 4);
      at += (FRAME_OVERHEAD + ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!)) >>> 0;
    }
    const h = read(at, 4);
    const len = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
    if (at + FRAME_OVERHEAD + len > limit) throw new Error('record runs past the committed end');
    return read(at + 4, len).slice();
  } catch (err) {
    throw new LedgerCorruptError(
      `${file} entry ${index}: ${(err as Error).message}`,
      { file, index },
      { cause: err },
    );
  } finally {
    closeSync(fd);
  }
}

/**
 * Read one committed entry (leaf and payload record) from a ledger directory without opening it
 * for writing (tools: `troupe ledger prove`). Walks the frame lengths: O(index) length reads.
 * Checks nothing beyond the framing and the leaf's canonical form: verifyLedger is the check.
 */
export function readLedgerEntry(dir: string, index: number): StoredEntry {
  const paths = ledgerPaths(dir);
  if (!existsSync(paths.meta) || !existsSync(paths.state)) {
    throw new LedgerProofError(`${dir} is not a ledger directory (no LEDGER or state file)`);
  }
  const state = decodeState(new Uint8Array(readFileSync(paths.state)));
  if (!Number.isSafeInteger(index) || index < 0 || index >= state.size) {
    throw new LedgerProofError(`entry ${index} is not in a ledger of ${state.size}`);
  }
  const leafBytes = nthBody(paths.leaves, state.leavesBytes, index, 'leaves.log');
  const body = nthBody(paths.payloads, state.payloadsBytes, index, 'payloads.log');
  return decodeStoredEntry(index, leafBytes, body);
}

/** Every committed checkpoint note in checkpoints.log, oldest first (unverified: tools check them). */
export function readCheckpointNotes(dir: string): string[] {
  const paths = ledgerPaths(dir);
  if (!existsSync(paths.meta) || !existsSync(paths.state)) {
    throw new LedgerProofError(`${dir} is not a ledger directory (no LEDGER or state file)`);
  }
  const state = decodeState(new Uint8Array(readFileSync(paths.state)));
  const notes: string[] = [];
  const h = readHistory(paths.checkpoints, state.checkpointsBytes, ({ note }) => notes.push(note));
  if (h.error) {
    throw new LedgerCorruptError(`checkpoints.log record ${h.error.index}: ${h.error.reason}`, {
      file: 'checkpoints.log',
      index: h.error.index,
    });
  }
  return notes;
}
