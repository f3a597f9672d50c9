import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readSync, renameSync, unlinkSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { formatCheckpoint, signNote } from '../../../protocols/checkpoint/index.ts';
import {
  commitPayload,
  decodeLeaf,
  encodeLeaf,
  LEAF_MAX_BYTES,
  type Leaf,
  LeafTypeCode,
  SALT_BYTES,
} from '../../../protocols/ledger/index.ts';
import {
  appendLeaf,
  type CompactRange,
  cloneRange,
  consistencyProof,
  equalHashes,
  hashLeaf,
  rangeRootHash,
  treeRoot,
  verifyConsistency,
} from '../../../protocols/merkle/index.ts';
import type { EntryTable, SeqLookup } from './entry-table.ts';
import {
  CheckpointTooSoonError,
  LedgerAppendError,
  LedgerClosedError,
  LedgerCorruptError,
  LedgerIOError,
  LedgerProofError,
} from './errors.ts';
import { FRAME_OVERHEAD, frameRecord, hashCheck, writeFrame } from './frame.ts';
import { FrameWalker } from './frame-walker.ts';
import { fsyncDir, writeFileAtomic } from './fs-util.ts';
import type { LedgerKeys } from './keys.ts';
import { type LedgerPaths, MAX_PAYLOAD_BYTES } from './layout.ts';
import { LevelAppender, type LevelFiles, LevelRebuilder } from './level-cache.ts';
import type { OpenLedgerOptions } from './open-ledger.ts';
import { encodePayloadBody, PayloadStatus } from './payload-record.ts';
import { consistencyFromCache, inclusionFromCache, type ProofTarget } from './prove.ts';
import { scanLedger } from './scan.ts';
import type { SequenceRules } from './sequence-rules.ts';
import { encodeState, type StateRecord } from './state-record.ts';
import { decodeStoredEntry } from './stored-entry.ts';
import type {
  AppendResult,
  ConsistencyProof,
  InclusionProof,
  LedgerEntry,
  LedgerStep,
  SignedCheckpoint,
  StoredEntry,
} from './types.ts';

/** A ledger directory opened for appending (see openLedger). One writer per directory. */
export interface Ledger {
  readonly dir: string;
  readonly origin: string;
  /** The log's public keys (Ed25519, ML-DSA-44), as in the vkeys file. */
  readonly vkeys: readonly string[];
  /** Committed entries. */
  readonly size: number;
  readonly root: Uint8Array;
  /** The stream cursor: highest stream sequence accounted for (0 before any). */
  readonly lastStreamSeq: bigint;
  readonly lastLeafHash: Uint8Array;
  /** Group commit: written, fdatasync'ed and recorded in the state file before it resolves. */
  appendBatch(entries: readonly LedgerEntry[]): Promise<AppendResult>;
  /**
   * Sign the current tree (Ed25519 + ML-DSA-44). Returns the latest checkpoint unchanged when the
   * tree has not grown; throws CheckpointTooSoonError within the minimum interval otherwise.
   */
  checkpoint(): Promise<SignedCheckpoint>;
  latestCheckpoint(): SignedCheckpoint | undefined;
  /** When (clock ms) checkpoint() may next sign a grown tree. */
  nextCheckpointAt(): number;
  entry(index: number): StoredEntry;
  /** Which entry accounts for stream sequence `seq`. */
  findStreamSeq(seq: bigint): SeqLookup;
  /** Decoded leaves from `from` on, read from the log in large blocks. */
  leaves(from?: number): Iterable<{ index: number; leaf: Leaf }>;
  /** Delete an entry's payload and salt for good; its leaf and every proof stay valid. */
  erasePayload(index: number): Promise<void>;
  /** Inclusion proof against the latest checkpoint (or the tree of `size`). */
  proveInclusion(index: number, size?: number): InclusionProof;
  /** Consistency proof from `oldSize` to the latest checkpoint (or `size`). */
  proveConsistency(oldSize: number, size?: number): ConsistencyProof;
  /**
   * Rebuild the derived tree cache from leaves.log. Proofs throw LedgerCorruptError (never return
   * a proof that does not verify) when the cache is damaged; call this, then retry.
   */
  repairCache(): Promise<void>;
  close(): Promise<void>;
}

type Task =
  | {
      kind: 'append';
      entries: readonly LedgerEntry[];
      resolve: (r: AppendResult) => void;
      reject: (e: unknown) => void;
    }
  | { kind: 'op'; run: () => Promise<void>; reject: (e: unknown) => void };

const utf8 = new TextEncoder();
const ZERO32 = new Uint8Array(32);

export interface Live {
  state: StateRecord;
  range: CompactRange;
  rules: SequenceRules;
  table: EntryTable;
  levels: LevelFiles;
  latest: SignedCheckpoint | undefined;
  lastCheckpointMs: number;
  leaves: FileHandle;
  payloads: FileHandle;
  checkpoints: FileHandle;
}

/** The open ledger: the write queue (group commit), checkpoints, erasure, reads and proofs. */
export class LedgerStore implements Ledger {
  private readonly tasks: Task[] = [];
  private draining = false;
  private closed: Error | undefined;
  private readonly appender: LevelAppender;
  private readonly minInterval: number;
  private readonly scanWorkers: number | undefined;
  private readonly scanWindowLevel: number | undefined;
  private readonly maxBatch: number;

  constructor(
    private readonly paths: LedgerPaths,
    readonly origin: string,
    private readonly keys: LedgerKeys,
    readonly vkeys: readonly string[],
    options: OpenLedgerOptions,
    private readonly now: () => number,
    private readonly unlock: () => void,
    private readonly live: Live,
  ) {
    this.appender = new LevelAppender(paths.cacheDir);
    this.minInterval = options.minCheckpointIntervalMs ?? 1000;
    this.scanWorkers = options.workers;
    this.scanWindowLevel = options.windowLevel;
    this.maxBatch = options.maxBatchEntries ?? 8192;
    this.step = options.onStep ?? (() => {});
    this.splitWrites = options.onStep !== undefined;
  }

  private readonly step: (s: LedgerStep) => void;
  /** With a step hook, leaf writes are split in two so a crash can leave a torn record. */
  private readonly splitWrites: boolean;

  get dir(): string {
    return this.paths.dir;
  }
  get size(): number {
    return this.live.state.size;
  }
  get root(): Uint8Array {
    return this.live.state.root;
  }
  get lastStreamSeq(): bigint {
    return this.live.state.lastStreamSeq;
  }
  get lastLeafHash(): Uint8Array {
    return this.live.state.lastLeafHash;
  }

  private assertOpen(): void {
    if (this.closed) throw new LedgerClosedError(this.closed.message, { cause: this.closed });
  }

  latestCheckpoint(): SignedCheckpoint | undefined {
    return this.live.latest;
  }

  nextCheckpointAt(): number {
    return this.live.lastCheckpointMs + this.minInterval;
  }

  appendBatch(entries: readonly LedgerEntry[]): Promise<AppendResult> {
    this.assertOpen();
    if (entries.length === 0) {
      return this.runOp(async () => ({
        firstIndex: this.size,
        count: 0,
        size: this.size,
        root: this.root,
      }));
    }
    return new Promise((resolve, reject) => {
      this.tasks.push({ kind: 'append', entries, resolve, reject });
      this.kick();
    });
  }

  private runOp<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    return new Promise<T>((resolve, reject) => {
      this.tasks.push({
        kind: 'op',
        run: () => fn().then(resolve, (err) => reject(err)),
        reject,
      });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = true;
    void this.drain().finally(() => {
      this.draining = false;
      if (this.tasks.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.tasks.length > 0) {
      const first = this.tasks[0]!;
      if (this.closed) {
        this.tasks.shift();
        const err = new LedgerClosedError(this.closed.message, { cause: this.closed });
        first.reject(err);
        continue;
      }
      if (first.kind === 'op') {
        this.tasks.shift();
        await first.run();
        continue;
      }
      // Group commit: every append queued behind this one, up to the batch cap.
      const group: Array<Extract<Task, { kind: 'append' }>> = [];
      let n = 0;
      while (this.tasks[0]?.kind === 'append') {
        const t = this.tasks[0] as Extract<Task, { kind: 'append' }>;
        if (group.length > 0 && n + t.entries.length > this.maxBatch) break;
        group.push(t);
        n += t.entries.length;
        this.tasks.shift();
      }
      await this.commit(group);
    }
  }

  private fail(err: unknown): LedgerIOError {
    const e = new LedgerIOError('ledger write failed; reopen the ledger to recover', {
      cause: err,
    });
    this.closed = e;
    void this.closeFiles();
    return e;
  }

  private async commit(group: Array<Extract<Task, { kind: 'append' }>>): Promise<void> {
    const live = this.live;
    const range = cloneRange(live.range);
    let prev = live.state.lastLeafHash;
    let leavesAt = live.state.leavesBytes;
    let payloadsAt = live.state.payloadsBytes;
    const leafRecords: Uint8Array[] = [];
    const payloadRecords: Uint8Array[] = [];
    const nodes: Array<{ level: number; index: number; hash: Uint8Array }> = [];
    const rows: Array<{
      type: number;
      seq: bigint;
      aux: bigint;
      leafOffset: number;
      payloadOffset: number;
    }> = [];
    const accepted: Array<{ task: (typeof group)[number]; firstIndex: number; count: number }> = [];
    const sink = (level: number, index: number, hash: Uint8Array) =>
      nodes.push({ level, index, hash });

    for (const task of group) {
      const mark = live.rules.mark();
      const before = {
        range: cloneRange(range),
        prev,
        leavesAt,
        payloadsAt,
        records: leafRecords.length,
        nodes: nodes.length,
      };
      try {
        const firstIndex = range.size;
        for (const entry of task.entries) {
          const { leaf, status, salt, payload } = this.buildLeaf(entry, prev, live.rules.cursor);
          const code = LeafTypeCode[leaf.type];
          const bad = live.rules.check(code, leaf.streamSeq, leaf.aux);
          if (bad) throw new LedgerAppendError(bad);
          live.rules.apply(code, leaf.streamSeq, leaf.aux);
          const leafBytes = encodeLeaf(leaf);
          const h = hashLeaf(leafBytes);
          nodes.push({ level: 0, index: range.size, hash: h });
          appendLeaf(range, h, sink);
          const lr = frameRecord(leafBytes, hashCheck(h));
          const pr = frameRecord(
            encodePayloadBody(status, salt, payload),
            status === PayloadStatus.present ? hashCheck(leaf.payloadCommit) : 0,
          );
          rows.push({
            type: code,
            seq: leaf.streamSeq,
            aux: leaf.aux,
            leafOffset: leavesAt,
            payloadOffset: payloadsAt,
          });
          leafRecords.push(lr);
          payloadRecords.push(pr);
          leavesAt += lr.length;
          payloadsAt += pr.length;
          prev = h;
        }
        accepted.push({ task, firstIndex, count: task.entries.length });
      } catch (err) {
        live.rules.rollback(mark);
        range.size = before.range.size;
        range.hashes = before.range.hashes;
        prev = before.prev;
        leavesAt = before.leavesAt;
        payloadsAt = before.payloadsAt;
        leafRecords.length = before.records;
        payloadRecords.length = before.records;
        rows.length = before.records;
        nodes.length = before.nodes;
        task.reject(
          err instanceof LedgerAppendError
            ? err
            : new LedgerAppendError(`entry refused: ${(err as Error).message}`, { cause: err }),
        );
      }
    }
    if (accepted.length === 0) return;

    const next: StateRecord = {
      ...live.state,
      size: range.size,
      leavesBytes: leavesAt,
      payloadsBytes: payloadsAt,
      lastStreamSeq: live.rules.cursor,
      lastLeafHash: prev,
      root: rangeRootHash(range),
      frontier: range.hashes,
    };
    try {
      const leafBuf = Buffer.concat(leafRecords);
      const payloadBuf = Buffer.concat(payloadRecords);
      if (this.splitWrites) {
        const half = Math.max(1, leafBuf.length >> 1);
        await live.leaves.write(leafBuf, 0, half, live.state.leavesBytes);
        this.step('append:leaves-partial');
        await live.leaves.write(
          leafBuf,
          half,
          leafBuf.length - half,
          live.state.leavesBytes + half,
        );
      } else {
        await live.leaves.write(leafBuf, 0, leafBuf.length, live.state.leavesBytes);
      }
      this.step('append:leaves-written');
      await live.payloads.write(payloadBuf, 0, payloadBuf.length, live.state.payloadsBytes);
      this.step('append:payloads-written');
      await Promise.all([live.leaves.datasync(), live.payloads.datasync()]);
      this.step('append:synced');
      await this.writeState(next, 'append');
    } catch (err) {
      const e = this.fail(err);
      for (const a of accepted) a.task.reject(e);
      return;
    }
    // Committed: the in-memory view follows.
    live.state = next;
    live.range = range;
    live.table.push(rows, leavesAt, payloadsAt, live.rules.cursor);
    this.step('append:committed');
    this.writeCaches(nodes);
    this.step('append:caches-written');
    for (const a of accepted) {
      a.task.resolve({
        firstIndex: a.firstIndex,
        count: a.count,
        size: next.size,
        root: next.root,
      });
    }
  }

  /** Nodes of a commit, grouped per level into contiguous runs. */
  private writeCaches(nodes: Array<{ level: number; index: number; hash: Uint8Array }>): void {
    const byLevel = new Map<number, Array<{ index: number; hash: Uint8Array }>>();
    for (const n of nodes) {
      const l = byLevel.get(n.level);
      if (l) l.push(n);
      else byLevel.set(n.level, [n]);
    }
    try {
      for (const [level, list] of byLevel) {
        const bytes = new Uint8Array(list.length * 32);
        for (let i = 0; i < list.length; i++) bytes.set(list[i]!.hash, i * 32);
        this.appender.write(level, list[0]!.index, bytes);
      }
    } catch {
      // Derived data: a failed cache write is repaired by the next open or verify.
    }
  }

  private buildLeaf(
    entry: LedgerEntry,
    prev: Uint8Array,
    cursor: bigint,
  ): { leaf: Leaf; status: PayloadStatus; salt: Uint8Array; payload: Uint8Array } {
    if (entry.type === 'gap') {
      return {
        leaf: {
          type: 'gap',
          streamSeq: entry.first,
          aux: entry.last,
          stream: entry.stream,
          subject: '',
          msgId: '',
          prevLeafHash: prev,
          payloadCommit: ZERO32,
        },
        status: PayloadStatus.none,
        salt: ZERO32,
        payload: new Uint8Array(0),
      };
    }
    if (entry.payload.length > MAX_PAYLOAD_BYTES) {
      throw new LedgerAppendError(`payload of ${entry.payload.length} bytes is over the limit`);
    }
    const salt = entry.salt ?? randomBytes(SALT_BYTES);
    if (salt.length !== SALT_BYTES) throw new LedgerAppendError('salt must be 32 bytes');
    const payloadCommit = commitPayload(salt, entry.payload);
    const leaf: Leaf =
      entry.type === 'event'
        ? {
            type: 'event',
            streamSeq: entry.streamSeq,
            aux: entry.timestampNs,
            stream: entry.stream,
            subject: entry.subject,
            msgId: entry.msgId,
            prevLeafHash: prev,
            payloadCommit,
          }
        : {
            type: 'control',
            streamSeq: cursor,
            aux: entry.kind,
            stream: entry.stream,
            subject: entry.topic,
            msgId: '',
            prevLeafHash: prev,
            payloadCommit,
          };
    return { leaf, status: PayloadStatus.present, salt, payload: entry.payload };
  }

  /** state.tmp, fdatasync, rename over state, fsync the directory: the commit point. */
  private async writeState(next: StateRecord, phase: 'append' | 'checkpoint'): Promise<void> {
    const fh = await open(this.paths.stateTmp, 'w');
    try {
      await fh.writeFile(encodeState(next));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    if (phase === 'append') this.step('append:state-written');
    renameSync(this.paths.stateTmp, this.paths.state);
    if (phase === 'append') this.step('append:state-renamed');
    fsyncDir(this.paths.dir);
  }

  checkpoint(): Promise<SignedCheckpoint> {
    return this.runOp(() => this.signCheckpoint());
  }

  private async signCheckpoint(): Promise<SignedCheckpoint> {
    const live = this.live;
    const size = live.state.size;
    const root = live.state.root;
    const latest = live.latest;
    if (latest && latest.size === size) return latest;
    const now = this.now();
    // A clock that went back (now < last) cannot measure the interval: sign, and count from now.
    if (latest && now >= live.lastCheckpointMs && now < live.lastCheckpointMs + this.minInterval) {
      const wait = Math.ceil(live.lastCheckpointMs + this.minInterval - now);
      throw new CheckpointTooSoonError(
        `a checkpoint was signed ${Math.round(now - live.lastCheckpointMs)} ms ago; retry in ${wait} ms`,
        wait,
      );
    }
    // Never sign a tree that does not extend what was signed before. The proof comes from the
    // cache; if it fails, rebuild the cache from the log once before calling it corruption.
    if (latest && latest.size > 0) {
      const extend = () => {
        const proof = consistencyProof(live.levels, latest.size, size);
        verifyConsistency(latest.size, size, proof, latest.root, root);
      };
      try {
        extend();
      } catch {
        await this.rebuildCache();
        try {
          extend();
        } catch (err) {
          throw new LedgerCorruptError(
            'the tree no longer extends the last checkpoint',
            { file: 'checkpoints.log' },
            { cause: err },
          );
        }
      }
    }
    const body = formatCheckpoint({
      origin: this.origin,
      size: BigInt(size),
      root,
      extensions: [],
    });
    const note = signNote(body, [this.keys.signer, this.keys.cosigner]);
    const record = frameRecord(utf8.encode(note));
    const next: StateRecord = {
      ...live.state,
      checkpointsBytes: live.state.checkpointsBytes + record.length,
    };
    try {
      await live.checkpoints.write(record, 0, record.length, live.state.checkpointsBytes);
      await live.checkpoints.datasync();
      this.step('checkpoint:record-written');
      await this.writeState(next, 'checkpoint');
      this.step('checkpoint:state-renamed');
    } catch (err) {
      throw this.fail(err);
    }
    live.state = next;
    live.latest = { note, size, root };
    live.lastCheckpointMs = now;
    try {
      await writeFileAtomic(this.paths.latest, note, { durable: false });
    } catch {
      // Derived: rewritten by the next open or verify.
    }
    this.step('checkpoint:latest-written');
    return live.latest;
  }

  entry(index: number): StoredEntry {
    this.assertOpen();
    const t = this.live.table;
    if (!Number.isSafeInteger(index) || index < 0 || index >= t.size) {
      throw new RangeError(`entry ${index} is not in a ledger of ${t.size}`);
    }
    const lo = t.leafOffsets[index]!;
    const leafRecord = new Uint8Array(t.leafOffsets[index + 1]! - lo);
    readSync(this.live.leaves.fd, leafRecord, 0, leafRecord.length, lo);
    const po = t.payloadOffsets[index]!;
    const payloadRecord = new Uint8Array(t.payloadOffsets[index + 1]! - po);
    readSync(this.live.payloads.fd, payloadRecord, 0, payloadRecord.length, po);
    return decodeStoredEntry(
      index,
      leafRecord.slice(4, leafRecord.length - 4),
      payloadRecord.subarray(4, payloadRecord.length - 4),
    );
  }

  findStreamSeq(seq: bigint): SeqLookup {
    return this.live.table.lookup(seq);
  }

  *leaves(from = 0): Iterable<{ index: number; leaf: Leaf }> {
    const t = this.live.table;
    if (from >= t.size) return;
    const walker = new FrameWalker(this.live.leaves.fd, t.leafOffsets[t.size]!, LEAF_MAX_BYTES, {
      start: t.leafOffsets[from]!,
      blockSize: 1 << 20,
    });
    let index = from;
    const end = t.size;
    while (index < end) {
      const run = walker.take(Math.min(4096, end - index));
      if ('error' in run) throw new LedgerCorruptError(run.error, { file: 'leaves.log', index });
      let p = 0;
      const view = new DataView(run.bytes.buffer);
      for (let i = 0; i < run.count; i++) {
        const len = view.getUint32(p);
        yield { index, leaf: decodeLeaf(run.bytes.subarray(p + 4, p + 4 + len)) };
        p += len + FRAME_OVERHEAD;
        index++;
      }
    }
  }

  erasePayload(index: number): Promise<void> {
    return this.runOp(() => this.erase(index, false));
  }

  /** Redo an erase a crash interrupted (open() calls this before handing the ledger out). */
  async finishPendingErase(): Promise<void> {
    if (!existsSync(this.paths.erasePending)) return;
    const text = readFileSync(this.paths.erasePending, 'utf8');
    const m = /^(0|[1-9][0-9]*)\n$/.exec(text);
    const index = m ? Number(m[1]) : Number.NaN;
    if (!Number.isSafeInteger(index) || index >= this.size) {
      throw new LedgerCorruptError('erase.pending does not name an entry', {
        file: 'erase.pending',
      });
    }
    await this.erase(index, true);
  }

  private async erase(index: number, redo: boolean): Promise<void> {
    const t = this.live.table;
    if (!Number.isSafeInteger(index) || index < 0 || index >= t.size) {
      throw new RangeError(`entry ${index} is not in a ledger of ${t.size}`);
    }
    if (t.types[index] === LeafTypeCode.gap) {
      throw new LedgerAppendError(`entry ${index} is a gap and has no payload`);
    }
    const po = t.payloadOffsets[index]!;
    const len = t.payloadOffsets[index + 1]! - po - FRAME_OVERHEAD;
    const head = new Uint8Array(1);
    readSync(this.live.payloads.fd, head, 0, 1, po + 4);
    if (head[0] === PayloadStatus.erased && !redo) return;
    try {
      if (!redo) {
        await writeFileAtomic(this.paths.erasePending, `${index}\n`);
        this.step('erase:intent-written');
      }
      const record = new Uint8Array(len + FRAME_OVERHEAD);
      writeFrame(record, 0, new Uint8Array(len), 0); // status 0, zero salt, zero payload, check 0
      await this.live.payloads.write(record, 0, record.length, po);
      await this.live.payloads.datasync();
      this.step('erase:zeroed');
      unlinkSync(this.paths.erasePending);
      fsyncDir(this.paths.dir);
      this.step('erase:done');
    } catch (err) {
      throw this.fail(err);
    }
  }

  /** The tree of `size` (default: the latest checkpoint), with its signed note when it has one. */
  private target(size: number | undefined): ProofTarget {
    const latest = this.live.latest;
    const n = size ?? latest?.size;
    if (n === undefined) throw new LedgerProofError('no checkpoint has been signed yet');
    if (!Number.isSafeInteger(n) || n < 0 || n > this.size) {
      throw new LedgerProofError(`size ${n} is beyond the ledger's ${this.size} entries`);
    }
    if (latest && latest.size === n) return { size: n, root: latest.root, checkpoint: latest.note };
    if (n === this.size) return { size: n, root: this.live.state.root };
    return { size: n, root: treeRoot(this.live.levels, n) };
  }

  /**
   * Run a cache read; if the cache files were replaced under us (verifyLedger repaired them),
   * reopen them once and retry.
   */
  private fromCache<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof LedgerCorruptError)) throw err;
      this.live.levels.close();
      this.appender.close();
      return read();
    }
  }

  proveInclusion(index: number, size?: number): InclusionProof {
    this.assertOpen();
    const target = this.target(size);
    return this.fromCache(() => inclusionFromCache(this.live.levels, index, target));
  }

  proveConsistency(oldSize: number, size?: number): ConsistencyProof {
    this.assertOpen();
    const target = this.target(size);
    return this.fromCache(() => consistencyFromCache(this.live.levels, oldSize, target));
  }

  repairCache(): Promise<void> {
    return this.runOp(() => this.rebuildCache());
  }

  /** Rebuild the tree cache from leaves.log (a damaged or replaced cache). */
  private async rebuildCache(): Promise<void> {
    const state = this.live.state;
    const rebuilder = new LevelRebuilder(this.paths.cacheDir);
    const scan = await scanLedger({
      leavesPath: this.paths.leaves,
      payloadsPath: this.paths.payloads,
      leavesBytes: state.leavesBytes,
      payloadsBytes: state.payloadsBytes,
      size: state.size,
      checkPayloads: false,
      workers: this.scanWorkers,
      windowLevel: this.scanWindowLevel,
      levels: (level, first, bytes) => rebuilder.write(level, first, bytes),
    });
    if (scan.failure || !equalHashes(scan.root, state.root)) {
      rebuilder.abort();
      const where = scan.failure ?? { file: 'leaves.log' };
      throw new LedgerCorruptError('the log no longer gives the committed root', where);
    }
    rebuilder.finish();
    this.appender.close();
    this.live.levels.close();
  }

  private async closeFiles(): Promise<void> {
    this.appender.close();
    this.live.levels.close();
    await Promise.allSettled([
      this.live.leaves.close(),
      this.live.payloads.close(),
      this.live.checkpoints.close(),
    ]);
    this.unlock();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued work finish first.
    await this.runOp(async () => {});
    this.closed = new LedgerClosedError();
    await this.closeFiles();
  }
}
