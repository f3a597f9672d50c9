import { closeSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LEAF_MAX_BYTES } from '../../../protocols/ledger/index.ts';
import {
  appendNode,
  type CompactRange,
  emptyRange,
  equalHashes,
  rangeNodes,
  rangeRootHash,
} from '../../../protocols/merkle/index.ts';
import { FrameWalker } from './frame-walker.ts';
import { MAX_PAYLOAD_BYTES } from './layout.ts';
import { PAYLOAD_HEAD_BYTES } from './payload-record.ts';
import {
  scanWindow,
  type WindowFailure,
  type WindowInput,
  type WindowOutput,
} from './scan-window.ts';
import { SequenceRules } from './sequence-rules.ts';

/** Per-entry facts the live ledger keeps in memory for reads and stream lookups. */
export interface EntryIndex {
  /** File offset of each entry's leaf record, plus one past the last (length size + 1). */
  leafOffsets: Float64Array;
  payloadOffsets: Float64Array;
  types: Uint8Array;
  seqs: BigUint64Array;
  auxs: BigUint64Array;
}

export interface ScanOptions {
  leavesPath: string;
  payloadsPath: string;
  /** Committed bytes to read from each log; what lies beyond is not read. */
  leavesBytes: number;
  payloadsBytes: number;
  /** Entries the state record says there are. */
  size: number;
  checkPayloads: boolean;
  /**
   * Threads to hash on besides this one; ≤ 1 scans here only. Default: the cores, at most 8,
   * when the log has at least four windows (starting a thread costs about 0.2 s).
   */
  workers?: number;
  /** log2 of entries per window (default from the average record size, at most 14). */
  windowLevel?: number;
  /** Receives every tree node, level by level in index order. */
  levels?: (level: number, firstIndex: number, hashes: Uint8Array) => void;
  collectIndex?: boolean;
}

export interface ScanResult {
  failure?: WindowFailure;
  size: number;
  range: CompactRange;
  root: Uint8Array;
  lastLeafHash: Uint8Array;
  lastStreamSeq: bigint;
  erased: number;
  rules: SequenceRules;
  index?: EntryIndex;
}

// A JS entry point that registers the TypeScript loader in the thread, then loads scan-worker.ts.
const WORKER_URL = new URL('./scan-worker.js', import.meta.url);

function defaultWindowLevel(o: ScanOptions): number {
  if (o.size === 0) return 0;
  const perEntry = (o.leavesBytes + o.payloadsBytes) / o.size;
  const fit = Math.floor(Math.log2((8 << 20) / Math.max(perEntry, 1)));
  return Math.max(4, Math.min(14, fit));
}

/**
 * Worker threads that announce when they have loaded; windows go only to idle, ready ones, so
 * the scanning thread can do the first windows itself while the workers start.
 */
class WindowPool {
  private readonly idle: Worker[] = [];
  private readonly waiting = new Map<
    number,
    { resolve: (o: WindowOutput) => void; reject: (e: unknown) => void; worker: Worker }
  >();
  private readonly all: Worker[] = [];
  ready = 0;
  onIdle: () => void = () => {};

  constructor(n: number) {
    for (let i = 0; i < n; i++) {
      const w = new Worker(WORKER_URL);
      w.on('message', (m: { ready?: true; id?: number; output?: WindowOutput }) => {
        if (m.ready) {
          this.ready++;
          this.idle.push(w);
        } else {
          const p = this.waiting.get(m.id!);
          this.waiting.delete(m.id!);
          this.idle.push(w);
          p?.resolve(m.output!);
        }
        this.onIdle();
      });
      w.on('error', (err) => {
        for (const [id, p] of this.waiting) {
          if (p.worker === w) {
            this.waiting.delete(id);
            p.reject(err);
          }
        }
      });
      this.all.push(w);
    }
  }

  /** Hand a window to an idle worker, or return undefined when none is free. */
  tryRun(id: number, input: WindowInput): Promise<WindowOutput> | undefined {
    const w = this.idle.pop();
    if (!w) return undefined;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, worker: w });
      w.postMessage({ id, input }, [
        input.leaves.buffer as ArrayBuffer,
        input.payloads.buffer as ArrayBuffer,
      ]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}

/**
 * Read both logs once, in windows, and rebuild everything derivable from them: leaf hashes, every
 * tree level, the frontier and root, the chain links, the stream-sequence accounting, and (for
 * verify) every payload commitment. Windows are hashed on worker threads and on this one; their
 * results are folded in order. Stops at the first bad entry.
 */
export async function scanLedger(o: ScanOptions): Promise<ScanResult> {
  const windowLevel = o.windowLevel ?? defaultWindowLevel(o);
  const window = 2 ** windowLevel;
  const windows = Math.ceil(o.size / window);
  const wanted = o.workers ?? Math.min(8, availableParallelism());
  const threads = wanted > 1 && windows >= (o.workers ? 2 : 4) ? Math.min(wanted, windows) : 0;
  const pool = threads > 0 ? new WindowPool(threads) : undefined;
  const leavesFd = openSync(o.leavesPath, 'r');
  const payloadsFd = openSync(o.payloadsPath, 'r');
  const range = emptyRange();
  const rules = new SequenceRules();
  const result: ScanResult = {
    size: 0,
    range,
    root: rangeRootHash(range),
    lastLeafHash: new Uint8Array(32),
    lastStreamSeq: 0n,
    erased: 0,
    rules,
  };
  const index: EntryIndex | undefined = o.collectIndex
    ? {
        leafOffsets: new Float64Array(o.size + 1),
        payloadOffsets: new Float64Array(o.size + 1),
        types: new Uint8Array(o.size),
        seqs: new BigUint64Array(o.size),
        auxs: new BigUint64Array(o.size),
      }
    : undefined;
  try {
    const leafWalker = new FrameWalker(leavesFd, o.leavesBytes, LEAF_MAX_BYTES);
    const payloadWalker = new FrameWalker(
      payloadsFd,
      o.payloadsBytes,
      MAX_PAYLOAD_BYTES + PAYLOAD_HEAD_BYTES,
    );
    let readFailure: WindowFailure | undefined;
    let nextInput: WindowInput | undefined;
    let read = 0;

    /**
     * `want` records of one log from entry `first` (their offsets into `offsets` when indexing);
     * a bad record becomes the read failure and gives undefined.
     */
    const takeRecords = (
      walker: FrameWalker,
      file: WindowFailure['file'],
      offsets: Float64Array | undefined,
      first: number,
      want: number,
    ) => {
      let i = first;
      const run = walker.take(
        want,
        offsets
          ? (off) => {
              offsets[i++] = off;
            }
          : undefined,
      );
      if (!('error' in run)) return run;
      readFailure = { file, index: first + run.at, reason: run.error };
      return undefined;
    };

    /** The next window's bytes, read ahead so one is always ready to hand out. */
    const readWindow = (): WindowInput | undefined => {
      if (read >= windows || readFailure) return undefined;
      const first = read * window;
      const want = Math.min(window, o.size - first);
      const leaves = takeRecords(leafWalker, 'leaves.log', index?.leafOffsets, first, want);
      if (!leaves) return undefined;
      const payloads = takeRecords(
        payloadWalker,
        'payloads.log',
        index?.payloadOffsets,
        first,
        want,
      );
      if (!payloads) return undefined;
      if (leaves.count < want || payloads.count < want) {
        const file = leaves.count < want ? 'leaves.log' : 'payloads.log';
        const at = first + Math.min(leaves.count, payloads.count);
        readFailure = { file, index: at, reason: `the log ends before entry ${at}` };
        return undefined;
      }
      read++;
      return {
        leaves: leaves.bytes,
        payloads: payloads.bytes,
        firstIndex: first,
        count: want,
        checkPayloads: o.checkPayloads,
      };
    };

    // Results in window order; each is a worker's promise or a window hashed right here.
    const results: Array<Promise<WindowOutput>> = [];
    let submitted = 0;
    const dispatch = (allowInline: boolean): void => {
      for (;;) {
        nextInput ??= readWindow();
        if (!nextInput) return;
        const viaPool = pool?.tryRun(submitted, nextInput);
        if (viaPool) results.push(viaPool);
        else if (allowInline && (!pool || pool.ready < threads)) {
          results.push(Promise.resolve(scanWindow(nextInput)));
          allowInline = false; // one window at a time here, then see who is free
        } else return;
        nextInput = undefined;
        submitted++;
      }
    };
    if (pool) pool.onIdle = () => dispatch(false);

    for (let handled = 0; handled < windows; handled++) {
      if (results.length === 0) dispatch(true);
      const next = results.shift();
      if (!next) break;
      const out = await next;
      // Let worker messages in: a window hashed right here resolves without a macrotask turn,
      // and the workers' "ready" would otherwise wait until the whole scan is done.
      if (pool) await new Promise<void>((resolve) => setImmediate(resolve));
      dispatch(results.length === 0);
      const first = handled * window;
      if (out.failure) {
        result.failure = out.failure;
        return result;
      }
      if (!equalHashes(out.firstPrev, result.lastLeafHash)) {
        result.failure = {
          file: 'leaves.log',
          index: first,
          reason: 'prev_leaf_hash is not the hash of the entry before',
        };
        return result;
      }
      const runBad = out.run
        ? rules.applyRun(BigInt(out.run.first), BigInt(out.run.last))
        : undefined;
      if (runBad) {
        result.failure = { file: 'leaves.log', index: first, reason: runBad };
        return result;
      }
      if (!out.run) {
        for (let i = 0; i < out.types.length; i++) {
          const bad = rules.check(out.types[i]!, out.seqs[i]!, out.auxs[i]!);
          if (bad) {
            result.failure = { file: 'leaves.log', index: first + i, reason: bad };
            return result;
          }
          rules.apply(out.types[i]!, out.seqs[i]!, out.auxs[i]!);
        }
      }
      if (index) {
        index.types.set(out.types, first);
        index.seqs.set(out.seqs, first);
        index.auxs.set(out.auxs, first);
      }
      for (let level = 0; level < out.levels.length; level++) {
        o.levels?.(level, first / 2 ** level, out.levels[level]!);
      }
      const sink = (level: number, idx: number, hash: Uint8Array) => o.levels?.(level, idx, hash);
      const nodes = rangeNodes(out.types.length);
      for (let i = 0; i < nodes.length; i++) {
        appendNode(range, nodes[i]!.level, out.range[i]!, sink);
      }
      result.erased += out.erased;
      result.lastLeafHash = out.lastLeafHash;
      result.size = range.size;
    }
    if (readFailure) {
      result.failure = readFailure;
      return result;
    }
    for (const [walker, file] of [
      [leafWalker, 'leaves.log'],
      [payloadWalker, 'payloads.log'],
    ] as const) {
      if (!walker.done()) {
        result.failure = { file, index: o.size, reason: 'bytes after the last committed entry' };
        return result;
      }
    }
    if (index) {
      index.leafOffsets[o.size] = o.leavesBytes;
      index.payloadOffsets[o.size] = o.payloadsBytes;
      result.index = index;
    }
    result.root = rangeRootHash(range);
    result.lastStreamSeq = rules.cursor;
    return result;
  } finally {
    closeSync(leavesFd);
    closeSync(payloadsFd);
    await pool?.close();
  }
}
