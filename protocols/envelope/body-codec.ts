import { Decoder, decodeTimestampToTimeSpec, Encoder, ExtData } from '@msgpack/msgpack';
import { EnvelopeError } from './errors.ts';
import type { MsgpackWriter } from './writer.ts';

/*
 * Message bodies are MessagePack. The general codec (@msgpack/msgpack) costs ~150 ns to
 * encode and ~300 ns to decode a small body, mostly in per-call setup; bodies are small and
 * plain, so this file walks the common shapes itself (plain objects, arrays, strings,
 * numbers, booleans, null, Uint8Array, timestamps) and hands anything else to the general
 * codec. Both directions are property-tested against @msgpack/msgpack.
 */

const general = new Encoder({ ignoreUndefined: true });
const generalDecoder = new Decoder();
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Thrown inside the fast encoder when a value needs the general codec. */
class NeedsGeneral extends Error {}
const NEEDS_GENERAL = new NeedsGeneral();

function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Append the body's MessagePack to `w` as a `bin` value (the envelope's last field). */
export function writeBodyBin(w: MsgpackWriter, value: unknown): void {
  // Reserve a bin32 header, write the body, then fix the header to the real length.
  w.ensure(5);
  const at = w.pos;
  w.pos += 5;
  const start = w.pos;
  try {
    writeValue(w, value, 0);
  } catch (err) {
    w.pos = start;
    if (err !== NEEDS_GENERAL) throw err;
    let bytes: Uint8Array;
    try {
      bytes = general.encodeSharedRef(value);
    } catch (cause) {
      w.pos = at;
      throw new EnvelopeError(`body cannot be encoded as MessagePack: ${String(cause)}`, { cause });
    }
    w.ensure(bytes.length);
    w.buf.set(bytes, w.pos);
    w.pos += bytes.length;
  }
  const len = w.pos - start;
  // Compact header: move the body left when a shorter bin header fits.
  const header = len < 0x100 ? 2 : len < 0x10000 ? 3 : 5;
  if (header < 5) w.buf.copyWithin(at + header, start, w.pos);
  const b = w.buf;
  if (header === 2) {
    b[at] = 0xc4;
    b[at + 1] = len;
  } else if (header === 3) {
    b[at] = 0xc5;
    b[at + 1] = len >> 8;
    b[at + 2] = len & 0xff;
  } else {
    b[at] = 0xc6;
    w.view.setUint32(at + 1, len);
  }
  w.pos = at + header + len;
}

const MAX_DEPTH = 100;

function writeValue(w: MsgpackWriter, v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw NEEDS_GENERAL;
  switch (typeof v) {
    case 'string':
      writeStr(w, v);
      return;
    case 'number':
      writeNumber(w, v);
      return;
    case 'boolean':
      w.ensure(1);
      w.buf[w.pos++] = v ? 0xc3 : 0xc2;
      return;
    case 'undefined':
      w.nil();
      return;
    case 'object': {
      if (v === null) {
        w.nil();
        return;
      }
      if (Array.isArray(v)) {
        w.arrayHeader(v.length);
        for (let i = 0; i < v.length; i++) writeValue(w, v[i], depth + 1);
        return;
      }
      if (v instanceof Uint8Array) {
        if (v.constructor !== Uint8Array && !(v instanceof Buffer)) throw NEEDS_GENERAL;
        w.bin(v);
        return;
      }
      if (!isPlainObject(v)) throw NEEDS_GENERAL;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      let n = 0;
      for (let i = 0; i < keys.length; i++) if (o[keys[i]!] !== undefined) n++;
      mapHeader(w, n);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const x = o[k];
        if (x === undefined) continue;
        writeStr(w, k);
        writeValue(w, x, depth + 1);
      }
      return;
    }
    default:
      throw NEEDS_GENERAL;
  }
}

function mapHeader(w: MsgpackWriter, n: number): void {
  w.ensure(5);
  const b = w.buf;
  if (n < 16) b[w.pos++] = 0x80 | n;
  else if (n < 0x10000) {
    b[w.pos++] = 0xde;
    b[w.pos++] = n >> 8;
    b[w.pos++] = n & 0xff;
  } else {
    b[w.pos++] = 0xdf;
    w.view.setUint32(w.pos, n);
    w.pos += 4;
  }
}

function writeStr(w: MsgpackWriter, s: string): void {
  if (s.length < 0x10000) {
    w.str(s);
    return;
  }
  const bytes = textEncoder.encode(s);
  w.ensure(5 + bytes.length);
  w.buf[w.pos++] = 0xdb;
  w.view.setUint32(w.pos, bytes.length);
  w.pos += 4;
  w.buf.set(bytes, w.pos);
  w.pos += bytes.length;
}

function writeNumber(w: MsgpackWriter, n: number): void {
  if (Number.isSafeInteger(n) && !Object.is(n, -0)) {
    if (n >= 0) {
      w.uint(n);
      return;
    }
    w.ensure(9);
    const b = w.buf;
    if (n >= -32) b[w.pos++] = n & 0xff;
    else if (n >= -0x80) {
      b[w.pos++] = 0xd0;
      w.view.setInt8(w.pos++, n);
    } else if (n >= -0x8000) {
      b[w.pos++] = 0xd1;
      w.view.setInt16(w.pos, n);
      w.pos += 2;
    } else if (n >= -0x80000000) {
      b[w.pos++] = 0xd2;
      w.view.setInt32(w.pos, n);
      w.pos += 4;
    } else {
      b[w.pos++] = 0xd3;
      w.view.setBigInt64(w.pos, BigInt(n));
      w.pos += 8;
    }
    return;
  }
  w.ensure(9);
  w.buf[w.pos++] = 0xcb;
  w.view.setFloat64(w.pos, n);
  w.pos += 8;
}

// ---- decoding ----------------------------------------------------------------------------

/** Thrown inside the fast decoder for an extension type only the general codec knows. */
class NeedsGeneralDecode extends Error {}
const NEEDS_GENERAL_DECODE = new NeedsGeneralDecode();

const KEY_CACHE_SIZE = 512;
const keyBytes: (Uint8Array | undefined)[] = new Array(KEY_CACHE_SIZE);
const keyStrings: (string | undefined)[] = new Array(KEY_CACHE_SIZE);

/** One reader, reused: decoding is synchronous, and a DataView per body costs more than the body. */
class Reader {
  b: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  /** A view over the whole ArrayBuffer; `base` turns positions in `b` into its offsets. */
  view: DataView = new DataView(new ArrayBuffer(0));
  base = 0;

  reset(b: Uint8Array): void {
    this.b = b;
    this.pos = 0;
    this.end = b.length;
    if (this.view.buffer !== b.buffer) this.view = new DataView(b.buffer);
    this.base = b.byteOffset;
  }

  need(n: number): void {
    if (this.pos + n > this.end) throw new EnvelopeError('truncated body');
  }
}

const reader = new Reader();
const EMPTY = new Uint8Array(0);

/** Decode one body (a whole `bin` payload) back into a value. */
export function decodeBodyFast(bytes: Uint8Array): unknown {
  const r = reader;
  r.reset(bytes);
  try {
    const v = readValue(r, 0);
    if (r.pos !== r.end) throw new EnvelopeError('trailing bytes after body');
    r.b = EMPTY;
    return v;
  } catch (err) {
    r.b = EMPTY;
    if (err !== NEEDS_GENERAL_DECODE) {
      if (err instanceof EnvelopeError) throw err;
      throw new EnvelopeError(`body is not valid MessagePack: ${String(err)}`, { cause: err });
    }
    try {
      return generalDecoder.decode(bytes);
    } catch (cause) {
      throw new EnvelopeError(`body is not valid MessagePack: ${String(cause)}`, { cause });
    }
  }
}

function readStr(r: Reader, len: number, asKey: boolean): string {
  r.need(len);
  const b = r.b;
  const start = r.pos;
  r.pos += len;
  if (asKey && len <= 16) {
    let h = len;
    for (let i = start; i < start + len; i++) h = (h * 31 + b[i]!) | 0;
    const slot = h & (KEY_CACHE_SIZE - 1);
    const k = keyBytes[slot];
    if (k !== undefined && k.length === len) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (k[i] !== b[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return keyStrings[slot]!;
    }
    const s = utf8(b, start, len);
    keyBytes[slot] = b.slice(start, start + len);
    keyStrings[slot] = s;
    return s;
  }
  return utf8(b, start, len);
}

const latin1Slice = (
  Buffer.prototype as unknown as { latin1Slice: (s: number, e: number) => string }
).latin1Slice;

function utf8(b: Uint8Array, start: number, len: number): string {
  for (let i = start; i < start + len; i++) {
    if (b[i]! >= 0x80) return textDecoder.decode(b.subarray(start, start + len));
  }
  return len < 24
    ? String.fromCharCode.apply(null, b.subarray(start, start + len) as never)
    : latin1Slice.call(b, start, start + len);
}

function readArray(r: Reader, n: number, depth: number): unknown[] {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readValue(r, depth + 1);
  return out;
}

function readMap(r: Reader, n: number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    r.need(1);
    const t = r.b[r.pos]!;
    let key: string;
    if ((t & 0xe0) === 0xa0) {
      r.pos++;
      key = readStr(r, t & 0x1f, true);
    } else {
      const k = readValue(r, depth + 1);
      if (typeof k !== 'string' && typeof k !== 'number') throw NEEDS_GENERAL_DECODE;
      key = String(k);
    }
    // Plain data only: a key like __proto__ must stay data, not reach the prototype.
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: readValue(r, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[key] = readValue(r, depth + 1);
  }
  return out;
}

function readValue(r: Reader, depth: number): unknown {
  if (depth > MAX_DEPTH) throw NEEDS_GENERAL_DECODE;
  r.need(1);
  const t = r.b[r.pos++]!;
  if (t < 0x80) return t;
  if (t >= 0xe0) return t - 0x100;
  if ((t & 0xe0) === 0xa0) return readStr(r, t & 0x1f, false);
  if ((t & 0xf0) === 0x90) return readArray(r, t & 0x0f, depth);
  if ((t & 0xf0) === 0x80) return readMap(r, t & 0x0f, depth);
  const v = r.view;
  let n: number;
  switch (t) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xcc:
      r.need(1);
      return r.b[r.pos++];
    case 0xcd:
      r.need(2);
      n = v.getUint16(r.base + r.pos);
      r.pos += 2;
      return n;
    case 0xce:
      r.need(4);
      n = v.getUint32(r.base + r.pos);
      r.pos += 4;
      return n;
    case 0xcf:
      r.need(8);
      n = Number(v.getBigUint64(r.base + r.pos));
      r.pos += 8;
      return n;
    case 0xd0:
      r.need(1);
      return v.getInt8(r.base + r.pos++);
    case 0xd1:
      r.need(2);
      n = v.getInt16(r.base + r.pos);
      r.pos += 2;
      return n;
    case 0xd2:
      r.need(4);
      n = v.getInt32(r.base + r.pos);
      r.pos += 4;
      return n;
    case 0xd3:
      r.need(8);
      n = Number(v.getBigInt64(r.base + r.pos));
      r.pos += 8;
      return n;
    case 0xca:
      r.need(4);
      n = v.getFloat32(r.base + r.pos);
      r.pos += 4;
      return n;
    case 0xcb:
      r.need(8);
      n = v.getFloat64(r.base + r.pos);
      r.pos += 8;
      return n;
    case 0xd9:
      r.need(1);
      return readStr(r, r.b[r.pos++]!, false);
    case 0xda:
      r.need(2);
      n = v.getUint16(r.base + r.pos);
      r.pos += 2;
      return readStr(r, n, false);
    case 0xdb:
      r.need(4);
      n = v.getUint32(r.base + r.pos);
      r.pos += 4;
      return readStr(r, n, false);
    case 0xc4:
    case 0xc5:
    case 0xc6: {
      const hl = t === 0xc4 ? 1 : t === 0xc5 ? 2 : 4;
      r.need(hl);
      n =
        hl === 1
          ? r.b[r.pos]!
          : hl === 2
            ? v.getUint16(r.base + r.pos)
            : v.getUint32(r.base + r.pos);
      r.pos += hl;
      r.need(n);
      const out = r.b.subarray(r.pos, r.pos + n);
      r.pos += n;
      return out;
    }
    case 0xdc:
      r.need(2);
      n = v.getUint16(r.base + r.pos);
      r.pos += 2;
      return readArray(r, n, depth);
    case 0xdd:
      r.need(4);
      n = v.getUint32(r.base + r.pos);
      r.pos += 4;
      return readArray(r, n, depth);
    case 0xde:
      r.need(2);
      n = v.getUint16(r.base + r.pos);
      r.pos += 2;
      return readMap(r, n, depth);
    case 0xdf:
      r.need(4);
      n = v.getUint32(r.base + r.pos);
      r.pos += 4;
      return readMap(r, n, depth);
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
    case 0xc7:
    case 0xc8:
    case 0xc9:
      return readExt(r, t);
    default:
      throw new EnvelopeError(`invalid MessagePack type byte 0x${t.toString(16)}`);
  }
}

function readExt(r: Reader, t: number): unknown {
  let len: number;
  if (t >= 0xd4 && t <= 0xd8) len = 1 << (t - 0xd4);
  else {
    const hl = t === 0xc7 ? 1 : t === 0xc8 ? 2 : 4;
    r.need(hl);
    len =
      hl === 1
        ? r.b[r.pos]!
        : hl === 2
          ? r.view.getUint16(r.base + r.pos)
          : r.view.getUint32(r.base + r.pos);
    r.pos += hl;
  }
  r.need(1 + len);
  const type = r.view.getInt8(r.base + r.pos++);
  const data = r.b.subarray(r.pos, r.pos + len);
  r.pos += len;
  if (type === -1) {
    const { sec, nsec } = decodeTimestampToTimeSpec(data);
    return new Date(sec * 1000 + nsec / 1e6);
  }
  if (type < 0) throw NEEDS_GENERAL_DECODE;
  return new ExtData(type, data.slice());
}
