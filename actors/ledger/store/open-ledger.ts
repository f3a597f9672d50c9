import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import {
  cosignatureTimestamp,
  openNote,
  parseCheckpoint,
} from '../../../protocols/checkpoint/index.ts';
import { equalHashes, rangeRootHash, treeRoot } from '../../../protocols/merkle/index.ts';
import { EntryTable } from './entry-table.ts';
import { LedgerCorruptError, LedgerKeyError, SignedRootMismatchError } from './errors.ts';
import { writeFileAtomic, writeFileAtomicSync } from './fs-util.ts';
import { readLastCheckpoint } from './history.ts';
import { type LedgerKeys, ledgerVerifiers, loadOrCreateLedgerKeys } from './keys.ts';
import { type LedgerPaths, ledgerPaths } from './layout.ts';
import { type Ledger, LedgerStore } from './ledger.ts';
import { LevelFiles, LevelRebuilder } from './level-cache.ts';
import { lockLedger } from './lock.ts';
import { checkOrigin, formatMeta, formatVkeys, parseMeta, parseVkeys } from './meta.ts';
import { rescanLogs, stateMismatch } from './rescan.ts';
import { decodeState, emptyState, encodeState } from './state-record.ts';
import type { LedgerStep, SignedCheckpoint } from './types.ts';

export interface OpenLedgerOptions {
  /** The log's identity, first line of every checkpoint; must match an existing ledger's. */
  origin: string;
  /** Signing keys; by default loaded from (or generated in) `keysDir`. */
  keys?: LedgerKeys;
  /** Where key files live (mode 0600); default `<dir>/keys`. */
  keysDir?: string;
  /** Clock in ms (checkpoint cadence, cosignature times). */
  now?: () => number;
  /** Least time between two checkpoints while the log grows; default 1000 ms. */
  minCheckpointIntervalMs?: number;
  /** Most entries one group commit writes; default 8192. */
  maxBatchEntries?: number;
  /** Threads for the recovery scan (see scanLedger). */
  workers?: number;
  windowLevel?: number;
  /** Hears every durability step; crash tests kill the process from here. */
  onStep?: (step: LedgerStep) => void;
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Create a ledger directory: every file, then the LEDGER marker last (it means "created"). */
function createLedger(paths: LedgerPaths, origin: string, keys: LedgerKeys): void {
  mkdirSync(paths.dir, { recursive: true });
  if (existsSync(paths.leaves) && statSync(paths.leaves).size > 0) {
    throw new LedgerCorruptError('leaves.log has entries but LEDGER is missing', {
      file: 'LEDGER',
    });
  }
  for (const p of [paths.leaves, paths.payloads, paths.checkpoints]) writeFileSync(p, '');
  writeFileAtomicSync(paths.vkeys, formatVkeys(keys.vkeys));
  writeFileAtomicSync(paths.state, encodeState(emptyState(rangeRootHash({ size: 0, hashes: [] }))));
  writeFileAtomicSync(paths.meta, formatMeta(origin));
}

/** Bring a log to its committed length: cut a torn tail; a short log is corruption. */
function cutTail(path: string, committed: number, file: string): void {
  const size = statSync(path).size;
  if (size < committed) {
    throw new LedgerCorruptError(`${file} has ${size} bytes but ${committed} were committed`, {
      file,
    });
  }
  if (size > committed) {
    truncateSync(path, committed);
    // The cut must be durable before anything is appended after it.
    const fd = openSync(path, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Open (creating if needed) a ledger directory and recover it: drop any uncommitted tail, rescan
 * every entry to rebuild the frontier and the tree cache, check the result against the state
 * record, and prove that the tree at the last signed size has the root that checkpoint signed.
 */
export async function openLedger(dir: string, options: OpenLedgerOptions): Promise<Ledger> {
  checkOrigin(options.origin);
  const paths = ledgerPaths(dir);
  const now = options.now ?? Date.now;
  const keys =
    options.keys ??
    loadOrCreateLedgerKeys(options.keysDir ?? paths.keysDir, options.origin, { now });
  if (keys.origin !== options.origin) {
    throw new LedgerKeyError(`keys are for ${keys.origin}, not ${options.origin}`);
  }
  if (!existsSync(paths.meta)) createLedger(paths, options.origin, keys);
  const unlock = lockLedger(paths.lock);
  try {
    return await recoverLedger(paths, options, keys, now, unlock);
  } catch (err) {
    unlock();
    throw err;
  }
}

async function recoverLedger(
  paths: LedgerPaths,
  options: OpenLedgerOptions,
  keys: LedgerKeys,
  now: () => number,
  unlock: () => void,
): Promise<Ledger> {
  const dir = paths.dir;
  const { origin } = parseMeta(readText(paths.meta));
  if (origin !== options.origin) {
    throw new LedgerCorruptError(`ledger at ${dir} has origin ${origin}, not ${options.origin}`, {
      file: 'LEDGER',
    });
  }
  const vkeys = parseVkeys(readText(paths.vkeys));
  if (vkeys.join('\n') !== keys.vkeys.join('\n')) {
    throw new LedgerKeyError(`the keys given are not the keys of the ledger at ${dir}`);
  }
  const verifiers = ledgerVerifiers(origin, vkeys);
  if (existsSync(paths.stateTmp)) unlinkSync(paths.stateTmp);
  const state = decodeState(new Uint8Array(readFileSync(paths.state)));
  cutTail(paths.leaves, state.leavesBytes, 'leaves.log');
  cutTail(paths.payloads, state.payloadsBytes, 'payloads.log');
  cutTail(paths.checkpoints, state.checkpointsBytes, 'checkpoints.log');

  const rebuilder = new LevelRebuilder(paths.cacheDir);
  const scan = await rescanLogs(paths, state, rebuilder, options, {
    checkPayloads: false,
    collectIndex: true,
  });
  if (scan.failure) {
    const f = scan.failure;
    throw new LedgerCorruptError(`${f.file} entry ${f.index}: ${f.reason}`, f);
  }
  rebuilder.finish();
  const mismatch = stateMismatch(scan, state);
  if (mismatch) {
    throw new LedgerCorruptError(`state ${mismatch} does not match the logs`, { file: 'state' });
  }

  const levels = new LevelFiles(paths.cacheDir);
  const last = readLastCheckpoint(paths.checkpoints, state.checkpointsBytes, (note) => {
    let opened: ReturnType<typeof openNote>;
    try {
      opened = openNote(note, verifiers, { requireAll: true });
    } catch (err) {
      throw new LedgerKeyError('the last checkpoint does not verify with the ledger keys', {
        cause: err,
      });
    }
    const cp = parseCheckpoint(opened.text);
    const pq = opened.verified.find((s) => s.keyId === keys.cosigner.keyId)!;
    const signed: SignedCheckpoint = { note, size: Number(cp.size), root: cp.root };
    return { signed, ms: Number(cosignatureTimestamp(pq.signature)) * 1000 };
  });
  const latest = last?.signed;
  const lastCheckpointMs = last?.ms ?? Number.NEGATIVE_INFINITY;
  if (latest) {
    const signed: SignedCheckpoint = latest;
    if (signed.size > state.size) {
      throw new SignedRootMismatchError(
        `the last checkpoint signed ${signed.size} entries, the log holds ${state.size}`,
        signed.size,
      );
    }
    const rootThen = treeRoot(levels, signed.size);
    if (!equalHashes(rootThen, signed.root)) {
      throw new SignedRootMismatchError(
        `the tree at the signed size ${signed.size} has another root than the checkpoint`,
        signed.size,
      );
    }
  }
  const table = EntryTable.from(scan.index!, state.size);
  const ledger = new LedgerStore(paths, origin, keys, vkeys, options, now, unlock, {
    state,
    range: scan.range,
    rules: scan.rules,
    table,
    levels,
    latest,
    lastCheckpointMs,
    leaves: await open(paths.leaves, 'r+'),
    payloads: await open(paths.payloads, 'r+'),
    checkpoints: await open(paths.checkpoints, 'r+'),
  });
  await ledger.finishPendingErase();
  // The latest-checkpoint copy is derived: a crash can leave it missing or one behind.
  const note = latest?.note;
  if (note && (!existsSync(paths.latest) || readFileSync(paths.latest, 'utf8') !== note)) {
    await writeFileAtomic(paths.latest, note, { durable: false });
  }
  return ledger;
}
