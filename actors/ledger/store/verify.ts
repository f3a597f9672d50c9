import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type KeyedVerifier,
  openNote,
  parseCheckpoint,
  parseNote,
} from '../../../protocols/checkpoint/index.ts';
import { equalHashes, treeRoot } from '../../../protocols/merkle/index.ts';
import { LedgerCorruptError, LedgerKeyError } from './errors.ts';
import { writeFileAtomic } from './fs-util.ts';
import { readHistory } from './history.ts';
import { ledgerVerifiers } from './keys.ts';
import { type LedgerPaths, ledgerPaths } from './layout.ts';
import { LevelFiles, LevelRebuilder } from './level-cache.ts';
import { liveLockHolder } from './lock.ts';
import { parseMeta, parseVkeys } from './meta.ts';
import { rescanLogs, stateMismatch } from './rescan.ts';
import { decodeState, type StateRecord } from './state-record.ts';

export interface VerifyOptions {
  /**
   * The log's vkeys as the verifier trusts them (out of band). Without them the directory's own
   * vkeys file is used, which proves integrity against accidents but not against whoever can
   * rewrite the whole directory: give trusted keys for that.
   */
  vkeys?: readonly string[];
  /** A checkpoint this verifier saw earlier (e.g. cosigned by a witness): must be in the log. */
  knownCheckpoint?: string;
  workers?: number;
  windowLevel?: number;
}

export interface VerifyFailure {
  ok: false;
  /** The file at fault (relative to the ledger directory). */
  file: string;
  /** Entry index (leaves.log, payloads.log) or checkpoint record index (checkpoints.log). */
  index?: number;
  reason: string;
}

export interface VerifySuccess {
  ok: true;
  origin: string;
  size: number;
  root: Uint8Array;
  lastStreamSeq: bigint;
  checkpoints: number;
  signedSize: number;
  erased: number;
  /** Whether a derived file (tree cache, latest checkpoint copy) was wrong or missing. */
  cachesRebuilt: boolean;
  /**
   * A live process had the ledger open for writing: its uncommitted tail was not examined and
   * its derived files were not rewritten (call its repairCache() if cachesRebuilt).
   */
  writerLive: boolean;
}

export type VerifyReport = VerifySuccess | VerifyFailure;

const fail = (file: string, reason: string, index?: number): VerifyFailure => ({
  ok: false,
  file,
  reason,
  ...(index === undefined ? {} : { index }),
});

/**
 * Verify a ledger directory from its bytes alone: every record's framing, every leaf's canonical
 * form, the prev_leaf_hash chain, every payload commitment (or all-zero erasure), the stream
 * accounting (no sequence skipped or recorded twice), the Merkle tree, the state record, and every
 * checkpoint's signatures and root at its size. Derived caches are recomputed, never trusted, and
 * rewritten (so verify needs write access to cache/ and checkpoint). Returns the first fault found.
 */
export async function verifyLedger(
  dir: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const paths = ledgerPaths(dir);
  const read = (path: string): Uint8Array | undefined =>
    existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const text = (path: string, name: string): string | VerifyFailure => {
    const b = read(path);
    if (!b) return fail(name, 'missing');
    try {
      return utf8.decode(b);
    } catch {
      return fail(name, 'not UTF-8');
    }
  };

  const metaText = text(paths.meta, 'LEDGER');
  if (typeof metaText !== 'string') return metaText;
  let origin: string;
  try {
    origin = parseMeta(metaText).origin;
  } catch (err) {
    return fail('LEDGER', (err as Error).message);
  }

  const vkeysText = text(paths.vkeys, 'vkeys');
  if (typeof vkeysText !== 'string') return vkeysText;
  let verifiers: KeyedVerifier[];
  try {
    const own = parseVkeys(vkeysText);
    if (options.vkeys && own.join('\n') !== options.vkeys.join('\n')) {
      return fail('vkeys', 'the directory names other keys than the trusted ones');
    }
    verifiers = ledgerVerifiers(origin, options.vkeys ?? own);
  } catch (err) {
    if (err instanceof LedgerKeyError || err instanceof LedgerCorruptError) {
      return fail('vkeys', err.message);
    }
    throw err;
  }

  const stateBytes = read(paths.state);
  if (!stateBytes) return fail('state', 'missing');
  let state: StateRecord;
  try {
    state = decodeState(stateBytes);
  } catch (err) {
    return fail('state', (err as Error).message);
  }
  // Beside a live writer the logs grow past the state we read: check the committed prefix only,
  // and leave its derived files alone (rebuild a private copy instead).
  const writerLive = liveLockHolder(paths.lock) !== undefined;
  for (const [path, name, committed] of [
    [paths.leaves, 'leaves.log', state.leavesBytes],
    [paths.payloads, 'payloads.log', state.payloadsBytes],
    [paths.checkpoints, 'checkpoints.log', state.checkpointsBytes],
  ] as const) {
    if (!existsSync(path)) return fail(name, 'missing');
    const size = statSync(path).size;
    if (size < committed) return fail(name, `${size} bytes, but ${committed} were committed`);
    if (size > committed && !writerLive) {
      return fail(
        name,
        `${size - committed} uncommitted bytes at the end (open the ledger to recover)`,
      );
    }
  }
  if (existsSync(paths.erasePending) && !writerLive) {
    return fail('erase.pending', 'an erase did not finish (open the ledger to complete it)');
  }

  const privateCache = writerLive ? mkdtempSync(join(tmpdir(), 'troupe-verify-')) : undefined;
  const cacheDir = privateCache ?? paths.cacheDir;
  try {
    return await verifyFrom(paths, options, origin, verifiers, state, cacheDir, writerLive);
  } finally {
    if (privateCache) rmSync(privateCache, { recursive: true, force: true });
  }
}

async function verifyFrom(
  paths: LedgerPaths,
  options: VerifyOptions,
  origin: string,
  verifiers: KeyedVerifier[],
  state: StateRecord,
  cacheDir: string,
  writerLive: boolean,
): Promise<VerifyReport> {
  const rebuilder = new LevelRebuilder(cacheDir, paths.cacheDir, writerLive);
  const scan = await rescanLogs(paths, state, rebuilder, options, { checkPayloads: true });
  if (scan.failure) return fail(scan.failure.file, scan.failure.reason, scan.failure.index);
  const mismatch = stateMismatch(scan, state);
  if (mismatch) return fail('state', `${mismatch} does not match the logs`);
  // The cache is replaced by what the logs give; every root below comes from that copy.
  rebuilder.finish();
  let cachesRebuilt = rebuilder.changed;
  const levels = new LevelFiles(cacheDir);
  try {
    let signedSize = 0;
    let lastNote: string | undefined;
    let failure: VerifyFailure | undefined;
    const history = readHistory(paths.checkpoints, state.checkpointsBytes, ({ note }, k) => {
      if (failure) return;
      try {
        const body = parseCheckpoint(parseNote(note).text);
        const size = Number(body.size);
        if (body.origin !== origin) throw new Error(`origin ${body.origin} is not ${origin}`);
        if (body.size > BigInt(state.size))
          throw new Error(`signs ${size} entries, the log has ${state.size}`);
        if (size < signedSize)
          throw new Error(`size ${size} is below an earlier checkpoint's ${signedSize}`);
        if (!equalHashes(treeRoot(levels, size), body.root)) {
          throw new Error(`root is not the tree's root at size ${size}`);
        }
        openNote(note, verifiers, { requireAll: true });
        signedSize = size;
        lastNote = note;
      } catch (err) {
        failure = fail('checkpoints.log', (err as Error).message, k);
      }
    });
    if (failure) return failure;
    if (history.error) return fail('checkpoints.log', history.error.reason, history.error.index);

    // The latest-checkpoint copy is derived from the history (a live writer may be ahead of it).
    const latest = existsSync(paths.latest) ? readFileSync(paths.latest, 'utf8') : undefined;
    if (latest !== lastNote && !writerLive) {
      cachesRebuilt = true;
      if (lastNote) await writeFileAtomic(paths.latest, lastNote, { durable: false });
      else unlinkSync(paths.latest);
    }

    if (options.knownCheckpoint) {
      let known: ReturnType<typeof parseCheckpoint>;
      try {
        known = parseCheckpoint(openNote(options.knownCheckpoint, verifiers).text);
      } catch (err) {
        return fail(
          'checkpoints.log',
          `the known checkpoint does not verify: ${(err as Error).message}`,
        );
      }
      if (known.origin !== origin) return fail('LEDGER', 'the known checkpoint is for another log');
      const size = Number(known.size);
      if (size > signedSize) {
        return fail(
          'checkpoints.log',
          `rolled back: the log's last checkpoint is ${signedSize}, one for ${size} was seen`,
        );
      }
      if (!equalHashes(treeRoot(levels, size), known.root)) {
        return fail(
          'leaves.log',
          `forked: the tree at ${size} is not the one the known checkpoint signed`,
        );
      }
    }
    return {
      ok: true,
      origin,
      size: state.size,
      root: state.root,
      lastStreamSeq: state.lastStreamSeq,
      checkpoints: history.count,
      signedSize,
      erased: scan.erased,
      cachesRebuilt,
      writerLive,
    };
  } finally {
    levels.close();
  }
}
