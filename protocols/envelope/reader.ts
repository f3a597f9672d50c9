import { EnvelopeError } from './errors.ts';

const textDecoder = new TextDecoder('utf-8', { fatal: true });

// For ASCII bytes, latin1 and UTF-8 agree; Node's latin1 slice is native and fast.
const latin1Slice = (
  Buffer.prototype as unknown as { latin1Slice: (s: number, e: number) => string }
).latin1Slice;
function latin1(b: Uint8Array, start: number, end: number): string {
  return latin1Slice.call(b, start, end);
}

/** A small direct-mapped cache of decoded strings, keyed by a hash of their bytes. */
const CACHE_MAX_LEN = 48;
const CACHE_SIZE = 1024;
const cacheKeys: (Uint8Array | undefined)[] = new Array(CACHE_SIZE);
const cacheVals: (string | undefined)[] = new Array(CACHE_SIZE);

function hashBytes(b: Uint8Array, start: number, len: number): number {
  let h = 0x811c9dc5 ^ len;
  for (let i = start; i < start + len; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h >>> 0) & (CACHE_SIZE - 1);
}

function cacheGet(b: Uint8Array, start: number, len: number): string | undefined {
  const slot = hashBytes(b, start, len);
  const k = cacheKeys[slot];
  if (k === undefined || k.length !== len) return undefined;
  for (let i = 0; i < len; i++) if (k[i] !== b[start + i]) return undefined;
  return cacheVals[slot];
}

function cachePut(b: Uint8Array, start: number, len: number, s: string): void {
  const slot = hashBytes(b, start, len);
  cacheKeys[slot] = b.slice(start, start + len);
  cacheVals[slot] = s;
}

/** Reads the MessagePack types the envelope header uses, with bounds checks on every read. */
export class MsgpackReader {
  pos: number;
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new EnvelopeError('truncated envelope');
  }

  private byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  /** A big-endian 16-bit unsigned integer (a length or a value), consumed. */
  private u16(): number {
    this.need(2);
    const n = this.view.getUint16(this.pos);
    this.pos += 2;
    return n;
  }

  /** A big-endian 32-bit unsigned integer (a length or a value), consumed. */
  private u32(): number {
    this.need(4);
    const n = this.view.getUint32(this.pos);
    this.pos += 4;
    return n;
  }

  arrayHeader(): number {
    const t = this.byte();
    if ((t & 0xf0) === 0x90) return t & 0x0f;
    if (t === 0xdc) return this.u16();
    if (t === 0xdd) return this.u32();
    throw new EnvelopeError(`expected an array, got 0x${t.toString(16)}`);
  }

  /** True (and consumed) when the next value is nil. */
  nil(): boolean {
    this.need(1);
    if (this.buf[this.pos] === 0xc0) {
      this.pos++;
      return true;
    }
    return false;
  }

  uint(): number {
    const t = this.byte();
    if (t < 0x80) return t;
    switch (t) {
      case 0xcc:
        return this.byte();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf: {
        this.need(8);
        const hi = this.view.getUint32(this.pos);
        const lo = this.view.getUint32(this.pos + 4);
        this.pos += 8;
        if (hi >= 0x200000) throw new EnvelopeError('integer beyond 2^53');
        return hi * 0x100000000 + lo;
      }
      default:
        throw new EnvelopeError(`expected an unsigned integer, got 0x${t.toString(16)}`);
    }
  }

  str(): string {
    const t = this.byte();
    let len: number;
    if ((t & 0xe0) === 0xa0) len = t & 0x1f;
    else if (t === 0xd9) len = this.byte();
    else if (t === 0xda) len = this.u16();
    else if (t === 0xdb) len = this.u32();
    else throw new EnvelopeError(`expected a string, got 0x${t.toString(16)}`);
    this.need(len);
    const start = this.pos;
    this.pos += len;
    const b = this.buf;
    // Short strings repeat (paths, types): answer them from a cache keyed by their bytes.
    if (len <= CACHE_MAX_LEN) {
      const cached = cacheGet(b, start, len);
      if (cached !== undefined) return cached;
    }
    let ascii = true;
    for (let i = start; i < start + len; i++) {
      if (b[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    let s: string;
    if (ascii) s = latin1(b, start, start + len);
    else {
      try {
        s = textDecoder.decode(b.subarray(start, start + len));
      } catch (cause) {
        throw new EnvelopeError('invalid UTF-8 in string', { cause });
      }
    }
    if (len <= CACHE_MAX_LEN) cachePut(b, start, len, s);
    return s;
  }

  /** A view (no copy) of a bin value. */
  bin(): Uint8Array {
    const t = this.byte();
    let len: number;
    if (t === 0xc4) len = this.byte();
    else if (t === 0xc5) len = this.u16();
    else if (t === 0xc6) len = this.u32();
    else throw new EnvelopeError(`expected bytes, got 0x${t.toString(16)}`);
    this.need(len);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}
