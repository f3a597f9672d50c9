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
  /** Threads to hash on; ≤ 1 scans in this thread. Default: cores, at most 8, if worth it. */
  workers?: number;
  /** log2 of entries per window (default from the average record size, at most 16). */
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

const WORKER_URL = new URL('./scan-worker.js', import.meta.url);

function defaultWindowLevel(o: ScanOptions): number {
  if (o.size === 0) return 0;
  const perEntry = (o.leavesBytes + o.payloadsBytes) / o.size;
  const fit = Math.floor(Math.log2((32 << 20) / Math.max(perEntry, 1)));
  return Math.max(4, Math.min(16, fit));
}

/** A small pool that runs scan windows on worker threads, answers in submission order. */
class WindowPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<
    number,
    { resolve: (o: WindowOutput) => void; reject: (e: unknown) => void }
  >();
  private next = 0;

  constructor(n: number) {
    for (let i = 0; i < n; i++) {
      const w = new Worker(WORKER_URL);
      w.on('message', (m: { id: number; output: WindowOutput }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(m.output);
      });
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  run(id: number, input: WindowInput): Promise<WindowOutput> {
    const w = this.workers[this.next++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, input }, [
        input.leaves.buffer as ArrayBuffer,
        input.payloads.buffer as ArrayBuffer,
      ]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Read both logs once, in windows, and rebuild everything derivable from them: leaf hashes, every
 * tree level, the frontier and root, the chain links, the stream-sequence accounting, and (for
 * verify) every payload commitment. Stops at the first bad entry.
 */
export async function scanLedger(o: ScanOptions): Promise<ScanResult> {
  const windowLevel = o.windowLevel ?? defaultWindowLevel(o);
  const window = 2 ** windowLevel;
  const windows = Math.ceil(o.size / window);
  const wanted = o.workers ?? Math.min(8, availableParallelism());
  const threads = windows >= 2 ? Math.min(wanted, windows) : 0;
  const pool = threads > 1 ? new WindowPool(threads) : undefined;
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
    const inflight: Array<Promise<WindowOutput>> = [];
    const depth = pool ? threads * 2 : 1;
    let submitted = 0;
    let handled = 0;
    let readFailure: WindowFailure | undefined;

    const submit = (): boolean => {
      if (submitted >= windows || readFailure) return false;
      const first = submitted * window;
      const want = Math.min(window, o.size - first);
      let li = first;
      let pi = first;
      const leaves = leafWalker.take(
        want,
        index ? (off) => (index.leafOffsets[li++] = off) : undefined,
      );
      if ('error' in leaves) {
        readFailure = { file: 'leaves.log', index: first + leaves.at, reason: leaves.error };
        return false;
      }
      const payloads = payloadWalker.take(
        want,
        index ? (off) => (index.payloadOffsets[pi++] = off) : undefined,
      );
      if ('error' in payloads) {
        readFailure = { file: 'payloads.log', index: first + payloads.at, reason: payloads.error };
        return false;
      }
      if (leaves.count < want || payloads.count < want) {
        const file = leaves.count < want ? 'leaves.log' : 'payloads.log';
        const at = first + Math.min(leaves.count, payloads.count);
        readFailure = { file, index: at, reason: `the log ends before entry ${at}` };
        return false;
      }
      const input: WindowInput = {
        leaves: leaves.bytes,
        payloads: payloads.bytes,
        firstIndex: first,
        count: want,
        checkPayloads: o.checkPayloads,
      };
      inflight.push(pool ? pool.run(submitted, input) : Promise.resolve(scanWindow(input)));
      submitted++;
      return true;
    };

    while (handled < windows) {
      while (inflight.length < depth && submit()) {}
      const next = inflight.shift();
      if (!next) break;
      const out = await next;
      const first = handled * window;
      handled++;
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
      for (let i = 0; i < out.types.length; i++) {
        const bad = rules.check(out.types[i]!, out.seqs[i]!, out.auxs[i]!);
        if (bad) {
          result.failure = { file: 'leaves.log', index: first + i, reason: bad };
          return result;
        }
        rules.apply(out.types[i]!, out.seqs[i]!, out.auxs[i]!);
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
