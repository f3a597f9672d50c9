import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { HashSource } from '../../../protocols/merkle/index.ts';
import { levelFile } from './layout.ts';

/**
 * The derived tree cache: cache/level-NN.bin holds the 32-byte hashes of every complete level-NN
 * subtree, node i at byte 32·i (level 0: the leaf hashes). Rebuilt from leaves.log by open() and
 * verifyLedger(); never trusted for anything a proof check does not re-verify.
 */
export class LevelFiles implements HashSource {
  private readonly fds = new Map<number, number>();
  private readonly scratch = new Uint8Array(32);
  /** Small (upper) levels held in memory: a proof reads about one node per level. */
  private readonly held = new Map<number, Uint8Array>();
  /** Levels too large to hold (they only grow): read node by node. */
  private readonly big = new Set<number>();

  constructor(
    private readonly cacheDir: string,
    private readonly holdBytes = 4 << 20,
  ) {}

  private fd(level: number): number {
    let fd = this.fds.get(level);
    if (fd === undefined) {
      fd = openSync(levelFile(this.cacheDir, level), 'r');
      this.fds.set(level, fd);
    }
    return fd;
  }

  node(level: number, index: bigint): Uint8Array {
    const at = Number(index) * 32;
    let held = this.held.get(level);
    // The files only grow (append-only); reload a held level when asked beyond what it holds.
    if (!this.big.has(level) && (held === undefined || at + 32 > held.length)) {
      const size = fstatSync(this.fd(level)).size;
      if (size <= this.holdBytes) {
        held = new Uint8Array(size);
        readSync(this.fd(level), held, 0, size, 0);
        this.held.set(level, held);
      } else {
        this.held.delete(level);
        this.big.add(level);
        held = undefined;
      }
    }
    if (held !== undefined) {
      if (at + 32 > held.length) {
        throw new RangeError(`tree cache has no node ${index} at level ${level}`);
      }
      return held.slice(at, at + 32);
    }
    const got = readSync(this.fd(level), this.scratch, 0, 32, at);
    if (got !== 32) throw new RangeError(`tree cache has no node ${index} at level ${level}`);
    return this.scratch.slice();
  }

  /** Nodes held at a level (for checks). */
  count(level: number): number {
    if (!existsSync(levelFile(this.cacheDir, level))) return 0;
    return Math.floor(fstatSync(this.fd(level)).size / 32);
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    this.held.clear();
    this.big.clear();
  }
}

/**
 * Writes a fresh copy of every level file into `cacheDir` (tmp names, renamed at the end).
 * With `compareWith` (a cache folder, usually the same one), also notes whether the existing
 * files say anything else. `allowGrowth`: a live writer may have appended past what this copy
 * covers; only the covered prefix must agree.
 */
export class LevelRebuilder {
  private readonly fds = new Map<number, number>();
  private readonly olds = new Map<number, number | null>();
  private readonly written = new Map<number, number>();
  private readonly scratch = new Uint8Array(1 << 20);
  /** Whether any byte differs from the cache compared with (or that cache was missing). */
  changed = false;

  constructor(
    private readonly cacheDir: string,
    private readonly compareWith?: string,
    private readonly allowGrowth = false,
  ) {
    mkdirSync(cacheDir, { recursive: true });
  }

  private tmp(level: number): string {
    return `${levelFile(this.cacheDir, level)}.tmp`;
  }

  /** Hashes for nodes [firstIndex, …) of a level; calls per level come in index order. */
  write(level: number, firstIndex: number, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    let fd = this.fds.get(level);
    if (fd === undefined) {
      fd = openSync(this.tmp(level), 'w');
      this.fds.set(level, fd);
      if (this.compareWith !== undefined) {
        const old = levelFile(this.compareWith, level);
        const present = existsSync(old);
        this.olds.set(level, present ? openSync(old, 'r') : null);
        if (!present) this.changed = true;
      }
    }
    writeSync(fd, bytes, 0, bytes.length, firstIndex * 32);
    this.written.set(level, firstIndex * 32 + bytes.length);
    const old = this.olds.get(level);
    if (!this.changed && old !== null && old !== undefined) {
      for (let off = 0; off < bytes.length && !this.changed; off += this.scratch.length) {
        const n = Math.min(this.scratch.length, bytes.length - off);
        const got = readSync(old, this.scratch, 0, n, firstIndex * 32 + off);
        if (
          got !== n ||
          Buffer.compare(this.scratch.subarray(0, n), bytes.subarray(off, off + n)) !== 0
        ) {
          this.changed = true;
        }
      }
    }
  }

  /**
   * Put the new files in place and remove level files the tree no longer has. When the compared
   * cache is this folder and nothing differs, the old files stay (same inodes), so a ledger open
   * on this directory keeps reading and appending to the files everyone sees.
   */
  finish(): void {
    for (const [level, old] of this.olds) {
      if (old === null) continue;
      const size = fstatSync(old).size;
      const want = this.written.get(level)!;
      if (this.allowGrowth ? size < want : size !== want) this.changed = true;
    }
    const keep = this.compareWith === this.cacheDir && !this.changed;
    for (const [level, fd] of this.fds) {
      closeSync(fd);
      const old = this.olds.get(level);
      if (old !== null && old !== undefined) closeSync(old);
      if (keep) unlinkSync(this.tmp(level));
      else renameSync(this.tmp(level), levelFile(this.cacheDir, level));
    }
    for (const name of readdirSync(this.cacheDir)) {
      const m = /^level-(\d\d)\.bin(\.tmp)?$/.exec(name);
      if (m && (m[2] || !this.fds.has(Number(m[1])))) {
        if (!m[2] && this.compareWith === this.cacheDir) this.changed = true;
        unlinkSync(join(this.cacheDir, name));
      }
    }
    if (this.compareWith !== undefined && this.compareWith !== this.cacheDir && !this.allowGrowth) {
      // Extra levels in the compared cache mean it described another tree.
      for (const name of readdirSync(this.compareWith)) {
        const m = /^level-(\d\d)\.bin$/.exec(name);
        if (m && !this.fds.has(Number(m[1]))) this.changed = true;
      }
    }
    this.fds.clear();
  }

  /** Drop the partial new files, leaving the old cache as it was. */
  abort(): void {
    for (const [level, fd] of this.fds) {
      closeSync(fd);
      const old = this.olds.get(level);
      if (old !== null && old !== undefined) closeSync(old);
      if (existsSync(this.tmp(level))) unlinkSync(this.tmp(level));
    }
    this.fds.clear();
  }
}

/** Appends the nodes each commit completes to the live cache (no fsync: it is derived). */
export class LevelAppender {
  private readonly fds = new Map<number, number>();

  constructor(private readonly cacheDir: string) {
    mkdirSync(cacheDir, { recursive: true });
  }

  /** Nodes of one level, contiguous from `firstIndex`. */
  write(level: number, firstIndex: number, bytes: Uint8Array): void {
    let fd = this.fds.get(level);
    if (fd === undefined) {
      fd = openSync(
        levelFile(this.cacheDir, level),
        existsSync(levelFile(this.cacheDir, level)) ? 'r+' : 'w+',
      );
      this.fds.set(level, fd);
    }
    writeSync(fd, bytes, 0, bytes.length, firstIndex * 32);
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
