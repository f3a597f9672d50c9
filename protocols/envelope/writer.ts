import { EnvelopeError } from './errors.ts';

const textEncoder = new TextEncoder();

/**
 * A growable MessagePack writer for the few types the envelope header uses. Hand-written
 * because the header is fixed and hot: the general encoder costs several times more.
 */
export class MsgpackWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** Start over on a fresh buffer, leaving the bytes already handed out untouched. */
  reset(size = this.buf.length): void {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  arrayHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x90 | n;
    else if (n < 0x10000) this.tagged16(0xdc, n);
    else this.tagged32(0xdd, n);
  }

  /** A type byte, then a big-endian 16-bit number; the caller made room (ensure). */
  private tagged16(tag: number, n: number): void {
    this.buf[this.pos++] = tag;
    this.view.setUint16(this.pos, n);
    this.pos += 2;
  }

  /** A type byte, then a big-endian 32-bit number; the caller made room (ensure). */
  private tagged32(tag: number, n: number): void {
    this.buf[this.pos++] = tag;
    this.view.setUint32(this.pos, n);
    this.pos += 4;
  }

  nil(): void {
    this.ensure(1);
    this.buf[this.pos++] = 0xc0;
  }

  /** Non-negative safe integer. */
  uint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new EnvelopeError(`not a uint: ${n}`);
    this.ensure(9);
    const b = this.buf;
    if (n < 0x80) b[this.pos++] = n;
    else if (n < 0x100) {
      b[this.pos++] = 0xcc;
      b[this.pos++] = n;
    } else if (n < 0x10000) this.tagged16(0xcd, n);
    else if (n < 0x100000000) this.tagged32(0xce, n);
    else {
      b[this.pos++] = 0xcf;
      this.view.setUint32(this.pos, Math.floor(n / 0x100000000));
      this.view.setUint32(this.pos + 4, n >>> 0);
      this.pos += 8;
    }
  }

  str(s: string): void {
    const len = s.length;
    // ASCII fast path: one byte per UTF-16 unit. Paths, types and traceparents are ASCII.
    if (len < 0x10000) {
      this.ensure(3 + len);
      const b = this.buf;
      const start = this.pos;
      let p = start;
      if (len < 32) b[p++] = 0xa0 | len;
      else if (len < 0x100) {
        b[p++] = 0xd9;
        b[p++] = len;
      } else {
        b[p++] = 0xda;
        b[p++] = len >> 8;
        b[p++] = len & 0xff;
      }
      for (let i = 0; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          this.strSlow(s);
          return;
        }
        b[p++] = c;
      }
      this.pos = p;
      return;
    }
    this.strSlow(s);
  }

  private strSlow(s: string): void {
    const max = s.length * 3;
    this.ensure(5 + max);
    // Reserve the widest header that fits, encode, then fix the header size.
    const headerSize = max < 32 ? 1 : max < 0x100 ? 2 : max < 0x10000 ? 3 : 5;
    const start = this.pos;
    const { written } = textEncoder.encodeInto(s, this.buf.subarray(start + headerSize));
    const b = this.buf;
    if (headerSize === 1) b[start] = 0xa0 | written;
    else if (headerSize === 2) {
      b[start] = 0xd9;
      b[start + 1] = written;
    } else if (headerSize === 3) {
      b[start] = 0xda;
      this.view.setUint16(start + 1, written);
    } else {
      b[start] = 0xdb;
      this.view.setUint32(start + 1, written);
    }
    this.pos = start + headerSize + written;
  }

  binHeader(len: number): void {
    this.ensure(5);
    if (len < 0x100) {
      this.buf[this.pos++] = 0xc4;
      this.buf[this.pos++] = len;
    } else if (len < 0x10000) this.tagged16(0xc5, len);
    else this.tagged32(0xc6, len);
  }

  bin(bytes: Uint8Array): void {
    this.binHeader(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}
