import { join } from 'node:path';

/** Format marker, first line of the LEDGER file. */
export const FORMAT_LINE = 'troupe-ledger 1';

/** Every file of a ledger directory (docs/ledger-format.md). */
export interface LedgerPaths {
  dir: string;
  /** Non-derived: format line and origin. */
  meta: string;
  /** Non-derived: framed leaf records, append-only. */
  leaves: string;
  /** Non-derived: framed payload records (status, salt, payload), one per leaf. */
  payloads: string;
  /** Non-derived: the log's public keys (vkeys), one per line. */
  vkeys: string;
  /** Non-derived: the commit record, replaced atomically (tmp + rename). */
  state: string;
  stateTmp: string;
  /** Non-derived: every signed checkpoint note, framed, append-only. */
  checkpoints: string;
  /** Derived: a copy of the last checkpoint note, for readers. */
  latest: string;
  /** Derived: one file of 32-byte node hashes per tree level. */
  cacheDir: string;
  /** Transient: the writer's pid while a ledger is open for appending. */
  lock: string;
  /** Transient: the index of a payload being erased (present only mid-erase). */
  erasePending: string;
  /** Default keys folder. */
  keysDir: string;
}

export function ledgerPaths(dir: string): LedgerPaths {
  return {
    dir,
    meta: join(dir, 'LEDGER'),
    leaves: join(dir, 'leaves.log'),
    payloads: join(dir, 'payloads.log'),
    vkeys: join(dir, 'vkeys'),
    state: join(dir, 'state'),
    stateTmp: join(dir, 'state.tmp'),
    checkpoints: join(dir, 'checkpoints.log'),
    latest: join(dir, 'checkpoint'),
    cacheDir: join(dir, 'cache'),
    erasePending: join(dir, 'erase.pending'),
    lock: join(dir, 'LOCK'),
    keysDir: join(dir, 'keys'),
  };
}

export function levelFile(cacheDir: string, level: number): string {
  return join(cacheDir, `level-${String(level).padStart(2, '0')}.bin`);
}

/** Payload records bigger than this are refused (JetStream's own ceiling is 64 MiB). */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
/** A framed checkpoint note is at most this (signed notes are capped at 1 MiB). */
export const MAX_CHECKPOINT_BYTES = 1 << 20;
