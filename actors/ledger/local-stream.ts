import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NamedError } from '../../protocols/named-error.ts';
import { InvalidArgument, parseOptions } from '../../runtime/index.ts';
import type { AuditPublisher, AuditStream, StreamRecord } from '../audit/index.ts';
import { crc32, LedgerLockedError, lockLedger, writeFileAtomic } from './store/index.ts';

/**
 * The embedded audit stream: what JetStream is to a cluster, one append-only file is to a single
 * process (DESIGN.md: "the same code on a different transport"). Same semantics the ledger relies
 * on: sequences from 1 with no holes, a message id repeated within the duplicate window returns
 * the first copy's sequence instead of appending, and an append resolves only once it is on disk
 * (fdatasync; appends of one tick share one write and one sync).
 *
 * Files in the stream's folder: `STREAM` (format line and name), `stream.log` (records), `LOCK`.
 * A record is `[u32 BE length][body][u32 BE CRC-32 of length and body]`, the body
 * `u64 seq | u64 timestamp ns | u16 len subject | u16 len msg id | data`.
 */

const FORMAT = 'troupe-audit-stream 1';
const HEAD = 8 + 8 + 2 + 2;
/** One group write is at most this; a damaged record further from the end is not a torn tail. */
const MAX_GROUP_BYTES = 16 * 1024 * 1024;
const READ_CHUNK_BYTES = 4 * 1024 * 1024;
const RECOVER_BLOCK_BYTES = 8 * 1024 * 1024;

const OptionsSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'a stream name: A-Z a-z 0-9 _ -'),
    duplicateWindowMs: z
      .number()
      .int()
      .positive()
      .max(7 * 24 * 3600 * 1000)
      .optional(),
    maxPayload: z
      .number()
      .int()
      .min(1024)
      .max(8 * 1024 * 1024)
      .optional(),
    now: z.custom<() => number>((v) => typeof v === 'function', 'a clock function').optional(),
  })
  .strict();

export interface LocalStreamOptions {
  /** The stream's name (TROUPE_AUDIT_<sys>); must match the folder's if it exists. */
  name: string;
  /** How long a message id is remembered for dedupe; default 10 minutes. */
  duplicateWindowMs?: number;
  /** Largest message accepted; default 8 MiB. */
  maxPayload?: number;
  /** Wall clock in ms (timestamps, the dedupe window); sub-millisecond precision is kept. */
  now?: () => number;
}

/** The stream folder is not a local audit stream, is another stream, or is damaged mid-file. */
export class LocalStreamCorruptError extends NamedError {}

/** Another live process has the stream open (one writer per stream). */
export class LocalStreamLockedError extends NamedError {
  constructor(
    message: string,
    readonly pid: number,
  ) {
    super(message);
  }
}

/** The stream was closed, or a write failed and closed it. */
export class LocalStreamClosedError extends NamedError {
  constructor(message = 'local audit stream is closed', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A message larger than the stream accepts. */
export class LocalStreamPayloadError extends NamedError {
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`message of ${size} bytes is over the stream's limit of ${max}`);
  }
}

interface Pending {
  subject: string;
  data: Uint8Array;
  msgId: string;
  resolve: (r: { seq: bigint; duplicate: boolean }) => void;
  reject: (e: unknown) => void;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

function encodeRecord(seq: bigint, ts: bigint, subject: string, msgId: string, data: Uint8Array) {
  const s = utf8.encode(subject);
  const m = utf8.encode(msgId);
  const len = HEAD + s.length + m.length + data.length;
  const out = new Uint8Array(len + 8);
  const v = new DataView(out.buffer);
  v.setUint32(0, len);
  v.setBigUint64(4, seq);
  v.setBigUint64(12, ts);
  v.setUint16(20, s.length);
  v.setUint16(22, m.length);
  out.set(s, 4 + HEAD);
  out.set(m, 4 + HEAD + s.length);
  out.set(data, 4 + HEAD + s.length + m.length);
  v.setUint32(4 + len, crc32(out.subarray(0, 4 + len)));
  return out;
}

/** Decode the record framed at `at` in `buf`; undefined when the frame is incomplete or damaged. */
function decodeRecord(
  buf: Uint8Array,
  at: number,
): { record: StreamRecord; end: number } | undefined {
  if (at + 4 > buf.length) return undefined;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const len = v.getUint32(at);
  const end = at + 4 + len + 4;
  if (len < HEAD || end > buf.length) return undefined;
  if (v.getUint32(at + 4 + len) !== crc32(buf.subarray(at, at + 4 + len))) return undefined;
  const sl = v.getUint16(at + 20);
  const ml = v.getUint16(at + 22);
  if (HEAD + sl + ml > len) return undefined;
  const body = at + 4 + HEAD;
  try {
    return {
      record: {
        seq: v.getBigUint64(at + 4),
        timestampNs: v.getBigUint64(at + 12),
        subject: utf8d.decode(buf.subarray(body, body + sl)),
        msgId: utf8d.decode(buf.subarray(body + sl, body + sl + ml)),
        payload: buf.slice(body + sl + ml, at + 4 + len),
      },
      end,
    };
  } catch {
    return undefined;
  }
}

/** Open (creating if needed) a local audit stream in `dir`. */
export async function openLocalStream(
  dir: string,
  options: LocalStreamOptions,
): Promise<LocalAuditStream> {
  const o = parseOptions(OptionsSchema, options, 'local audit stream options');
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new InvalidArgument('local audit stream needs a folder');
  }
  mkdirSync(dir, { recursive: true });
  const marker = join(dir, 'STREAM');
  const logPath = join(dir, 'stream.log');
  if (!existsSync(marker)) {
    if (existsSync(logPath) && statSync(logPath).size > 0) {
      throw new LocalStreamCorruptError(`${dir} has stream.log but no STREAM marker`);
    }
    await writeFileAtomic(logPath, new Uint8Array(0));
    await writeFileAtomic(marker, `${FORMAT}\nname ${o.name}\n`);
  }
  const m = /^troupe-audit-stream 1\nname ([A-Za-z0-9_-]+)\n$/.exec(readFileSync(marker, 'utf8'));
  if (!m) throw new LocalStreamCorruptError(`${marker} is not a local audit stream marker`);
  if (m[1] !== o.name) {
    throw new LocalStreamCorruptError(`${dir} holds stream ${m[1]}, not ${o.name}`);
  }
  let unlock: () => void;
  try {
    unlock = lockLedger(join(dir, 'LOCK'));
  } catch (err) {
    if (err instanceof LedgerLockedError) {
      throw new LocalStreamLockedError(
        `the audit stream in ${dir} is open in process ${err.pid}`,
        err.pid,
      );
    }
    throw err;
  }
  try {
    const fh = await open(logPath, 'r+');
    const stream = new LocalAuditStream(o.name, fh, unlock, {
      duplicateWindowMs: o.duplicateWindowMs ?? 600_000,
      maxPayload: o.maxPayload ?? 8 * 1024 * 1024,
      now: o.now ?? (() => performance.timeOrigin + performance.now()),
    });
    await stream.recover();
    return stream;
  } catch (err) {
    unlock();
    throw err;
  }
}

/** An open local audit stream: appends (through `publisher`) and reads (as an AuditStream). */
export class LocalAuditStream implements AuditStream {
  /** Frame start of message seq = i + 1 at offsets[i]; offsets[last] is the end of the log. */
  private offsets: number[] = [0];
  private lastTs = 0n;
  private readonly seen = new Map<string, { seq: bigint; atMs: number }>();
  private readonly seenOrder: Array<{ msgId: string; atMs: number }> = [];
  private seenHead = 0;
  private queue: Pending[] = [];
  private writing = false;
  private closed: Error | undefined;
  private waiters = new Set<() => void>();
  private shut = false;
  /** Bytes cut from a torn tail when the stream was opened. */
  truncatedBytes = 0;

  constructor(
    readonly name: string,
    private readonly fh: FileHandle,
    private readonly unlock: () => void,
    private readonly o: { duplicateWindowMs: number; maxPayload: number; now: () => number },
  ) {}

  get maxPayload(): number {
    return this.o.maxPayload;
  }

  /** Rebuild the index and the dedupe window; cut a torn tail (a crash mid-append). */
  async recover(): Promise<void> {
    const size = (await this.fh.stat()).size;
    // Walk the log in blocks: a record is decoded once its bytes are all in the block.
    let buf = new Uint8Array(0);
    let bufAt = 0; // file offset of buf[0]
    let at = 0; // file offset of the next record
    let seq = 0n;
    const horizon = this.o.now() - this.o.duplicateWindowMs;
    const refill = async (need: number): Promise<boolean> => {
      const end = bufAt + buf.length;
      if (end >= size) return false;
      const keep = buf.subarray(at - bufAt);
      const add = Math.min(size - end, Math.max(RECOVER_BLOCK_BYTES, need - keep.length));
      const next = new Uint8Array(keep.length + add);
      next.set(keep);
      await this.fh.read(next, keep.length, add, end);
      buf = next;
      bufAt = at;
      return true;
    };
    while (at < size) {
      const rel = at - bufAt;
      if (rel + 4 > buf.length) {
        if (await refill(4)) continue;
        break;
      }
      const len = new DataView(buf.buffer, buf.byteOffset, buf.length).getUint32(rel);
      if (rel + 8 + len > buf.length && len <= MAX_GROUP_BYTES) {
        if (await refill(8 + len)) continue;
        break;
      }
      const r = decodeRecord(buf, rel);
      if (!r || r.record.seq !== seq + 1n) break;
      seq = r.record.seq;
      at = bufAt + r.end;
      this.offsets.push(at);
      this.lastTs = r.record.timestampNs;
      const atMs = Number(r.record.timestampNs / 1_000_000n);
      if (r.record.msgId !== '' && atMs >= horizon) this.remember(r.record.msgId, seq, atMs);
    }
    if (at < size) {
      if (size - at > MAX_GROUP_BYTES) {
        throw new LocalStreamCorruptError(
          `stream.log is damaged at byte ${at} (message ${seq + 1n}), ${size - at} bytes before its end: not a torn append`,
        );
      }
      // A torn append: it was never acknowledged, so cutting it loses nothing that was.
      await this.fh.truncate(at);
      await this.fh.datasync();
      this.truncatedBytes = size - at;
    }
  }

  private remember(msgId: string, seq: bigint, atMs: number): void {
    this.seen.set(msgId, { seq, atMs });
    this.seenOrder.push({ msgId, atMs });
  }

  private expire(nowMs: number): void {
    const horizon = nowMs - this.o.duplicateWindowMs;
    while (this.seenHead < this.seenOrder.length && this.seenOrder[this.seenHead]!.atMs < horizon) {
      const old = this.seenOrder[this.seenHead++]!;
      if (this.seen.get(old.msgId)?.atMs === old.atMs) this.seen.delete(old.msgId);
    }
    if (this.seenHead > 4096 && this.seenHead * 2 > this.seenOrder.length) {
      this.seenOrder.splice(0, this.seenHead);
      this.seenHead = 0;
    }
  }

  /** Sequence of the last message (0 when empty). */
  get last(): bigint {
    return BigInt(this.offsets.length - 1);
  }

  async lastSeq(): Promise<bigint> {
    return this.last;
  }

  /** Store a message durably; a msgId seen within the duplicate window returns the first copy. */
  append(
    subject: string,
    data: Uint8Array,
    msgId = '',
  ): Promise<{ seq: bigint; duplicate: boolean }> {
    if (this.closed || this.shut) {
      return Promise.reject(new LocalStreamClosedError(undefined, { cause: this.closed }));
    }
    if (
      typeof subject !== 'string' ||
      subject.length === 0 ||
      utf8.encode(subject).length > 0xffff
    ) {
      return Promise.reject(
        new InvalidArgument('a stream message needs a subject (≤ 65535 bytes)'),
      );
    }
    if (typeof msgId !== 'string' || utf8.encode(msgId).length > 0xffff) {
      return Promise.reject(new InvalidArgument('a message id is a string of ≤ 65535 bytes'));
    }
    if (!(data instanceof Uint8Array)) {
      return Promise.reject(new InvalidArgument('a stream message body is bytes'));
    }
    if (data.length > this.o.maxPayload) {
      return Promise.reject(new LocalStreamPayloadError(data.length, this.o.maxPayload));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ subject, data, msgId, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      // One group write stays under MAX_GROUP_BYTES, so a torn write is always within that
      // distance of the end (recover() tells it from damage that way).
      let bytes = 0;
      let n = 0;
      while (n < this.queue.length) {
        const p = this.queue[n]!;
        const size =
          p.data.length + HEAD + 8 + Buffer.byteLength(p.subject) + Buffer.byteLength(p.msgId);
        if (n > 0 && bytes + size > MAX_GROUP_BYTES) break;
        bytes += size;
        n++;
      }
      const group = this.queue.splice(0, n);
      await this.commit(group);
    }
    this.writing = false;
    if (this.queue.length > 0 && !this.closed) {
      this.writing = true;
      setImmediate(() => void this.drain());
    }
  }

  private async commit(group: Pending[]): Promise<void> {
    const nowMs = this.o.now();
    this.expire(nowMs);
    const frames: Uint8Array[] = [];
    const results: Array<{ seq: bigint; duplicate: boolean }> = [];
    const fresh = new Map<string, bigint>();
    let seq = this.last;
    let ts = this.lastTs;
    let bytes = 0;
    const added: Array<{ msgId: string; seq: bigint }> = [];
    for (const p of group) {
      const dup = p.msgId === '' ? undefined : (this.seen.get(p.msgId)?.seq ?? fresh.get(p.msgId));
      if (dup !== undefined) {
        results.push({ seq: dup, duplicate: true });
        continue;
      }
      seq++;
      const now = BigInt(Math.round(nowMs * 1e6));
      ts = now > ts ? now : ts + 1n;
      const f = encodeRecord(seq, ts, p.subject, p.msgId, p.data);
      frames.push(f);
      bytes += f.length;
      if (p.msgId !== '') {
        fresh.set(p.msgId, seq);
        added.push({ msgId: p.msgId, seq });
      }
      results.push({ seq, duplicate: false });
    }
    if (frames.length > 0) {
      const buf = Buffer.concat(frames, bytes);
      const start = this.offsets[this.offsets.length - 1]!;
      try {
        await this.fh.write(buf, 0, buf.length, start);
        await this.fh.datasync();
      } catch (err) {
        const e = new LocalStreamClosedError(`local audit stream write failed: ${String(err)}`, {
          cause: err,
        });
        this.closed = e;
        for (const p of group) p.reject(e);
        await this.fh.truncate(start).catch(() => {});
        this.wake();
        return;
      }
      let end = start;
      for (const f of frames) {
        end += f.length;
        this.offsets.push(end);
      }
      this.lastTs = ts;
      for (const a of added) this.remember(a.msgId, a.seq, nowMs);
    }
    for (let i = 0; i < group.length; i++) group[i]!.resolve(results[i]!);
    if (frames.length > 0) this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = new Set();
    for (const f of w) f();
  }

  private async readRange(first: bigint, last: bigint): Promise<StreamRecord[]> {
    const a = Number(first);
    const b = Number(last);
    const start = this.offsets[a - 1]!;
    const end = this.offsets[b]!;
    const buf = new Uint8Array(end - start);
    await this.fh.read(buf, 0, buf.length, start);
    const out: StreamRecord[] = [];
    let at = 0;
    for (let s = a; s <= b; s++) {
      const r = decodeRecord(buf, at);
      if (!r || r.record.seq !== BigInt(s)) {
        throw new LocalStreamCorruptError(`stream.log record ${s} no longer reads back`);
      }
      out.push(r.record);
      at = r.end;
    }
    return out;
  }

  async get(seq: bigint): Promise<StreamRecord | undefined> {
    if (this.closed) throw new LocalStreamClosedError(undefined, { cause: this.closed });
    if (typeof seq !== 'bigint' || seq < 1n || seq > this.last) return undefined;
    return (await this.readRange(seq, seq))[0];
  }

  async fetch(from: bigint, max: number, waitMs: number): Promise<StreamRecord[]> {
    if (typeof from !== 'bigint' || from < 1n)
      throw new InvalidArgument('fetch from a sequence ≥ 1');
    if (!Number.isInteger(max) || max < 1) throw new InvalidArgument('fetch at least 1 message');
    if (this.closed) throw new LocalStreamClosedError(undefined, { cause: this.closed });
    if (from > this.last && waitMs > 0) {
      await new Promise<void>((res) => {
        const t = setTimeout(() => {
          this.waiters.delete(done);
          res();
        }, waitMs);
        const done = () => {
          clearTimeout(t);
          res();
        };
        this.waiters.add(done);
      });
      if (this.closed) return [];
    }
    if (from > this.last) return [];
    let last = from + BigInt(max) - 1n;
    if (last > this.last) last = this.last;
    // Keep one read bounded: stop early at READ_CHUNK_BYTES (at least one message).
    const base = this.offsets[Number(from) - 1]!;
    let n = Number(last);
    while (n > Number(from) && this.offsets[n]! - base > READ_CHUNK_BYTES) n--;
    return this.readRange(from, BigInt(n));
  }

  /** The stream's publisher, for a LocalAuditSink. */
  publisher(): AuditPublisher {
    return {
      maxPayload: this.o.maxPayload,
      publish: (subject, data, msgId) => this.append(subject, data, msgId),
      // A failed fsync is not a passing election: nothing to gain by retrying.
      retryable: () => false,
    };
  }

  /** Finish the appends already queued, then release the file. */
  async close(): Promise<void> {
    if (this.shut) return;
    this.shut = true;
    while (this.writing) await new Promise((r) => setImmediate(r));
    this.closed ??= new LocalStreamClosedError();
    for (const p of this.queue.splice(0)) p.reject(new LocalStreamClosedError());
    this.wake();
    await this.fh.close().catch(() => {});
    this.unlock();
  }
}
