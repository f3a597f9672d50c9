import { readSync } from 'node:fs';
import { FRAME_OVERHEAD } from './frame.ts';

/**
 * Reads framed records from one log in order, handing out runs of whole records as standalone
 * byte arrays (transferable to a worker). Only the length fields are read here; the records'
 * checksums and contents are checked by whoever gets them.
 */
export class FrameWalker {
  private buf: Uint8Array;
  private view: DataView;
  private start = 0;
  private end = 0;
  private fileOffset: number;
  /** File offset of the next record to hand out. */
  offset: number;

  constructor(
    private readonly fd: number,
    private readonly limit: number,
    private readonly maxBody: number,
    options: { blockSize?: number; start?: number } = {},
  ) {
    this.fileOffset = options.start ?? 0;
    // Small logs get a small buffer: verify and open run often on small ledgers in tests.
    const block = options.blockSize ?? 8 << 20;
    this.buf = new Uint8Array(Math.max(64, Math.min(block, limit - this.fileOffset)));
    this.view = new DataView(this.buf.buffer);
    this.offset = this.fileOffset;
  }

  /** Make `n` bytes from `start` available; false when the file (up to limit) has fewer. */
  private ensure(n: number): boolean {
    while (this.end - this.start < n) {
      if (this.fileOffset >= this.limit) return false;
      if (this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      if (this.buf.length < n) {
        const bigger = new Uint8Array(Math.max(n, this.buf.length * 2));
        bigger.set(this.buf.subarray(0, this.end));
        this.buf = bigger;
        this.view = new DataView(bigger.buffer);
      }
      const want = Math.min(this.buf.length - this.end, this.limit - this.fileOffset);
      const got = readSync(this.fd, this.buf, this.end, want, this.fileOffset);
      if (got === 0) return false;
      this.end += got;
      this.fileOffset += got;
    }
    return true;
  }

  /**
   * Up to `count` whole records: their bytes, how many, and each one's file offset (when
   * `offsets` is given, appended to it). A length field that runs past the end is an error string.
   */
  take(
    count: number,
    offsets?: (offset: number) => void,
  ): { bytes: Uint8Array; count: number } | { error: string; at: number } {
    let rel = 0;
    let n = 0;
    while (n < count) {
      if (!this.ensure(rel + 4)) {
        if (this.end - this.start > rel) {
          return { error: 'a record length is cut short at the end of the file', at: n };
        }
        break;
      }
      const len = this.view.getUint32(this.start + rel);
      if (len > this.maxBody) return { error: `record length ${len} is implausible`, at: n };
      if (!this.ensure(rel + FRAME_OVERHEAD + len)) {
        return { error: 'a record runs past the end of the file', at: n };
      }
      offsets?.(this.offset + rel);
      rel += FRAME_OVERHEAD + len;
      n++;
    }
    const bytes = this.buf.slice(this.start, this.start + rel);
    this.start += rel;
    this.offset += rel;
    return { bytes, count: n };
  }

  /** Whether every byte up to the limit has been handed out. */
  done(): boolean {
    return this.offset >= this.limit;
  }
}
