import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * Record framing for the three append-only logs: [u32 BE body length][body][u32 BE CRC-32].
 * The CRC (zlib's CRC-32, native in node:zlib) covers the length field and the body; it finds torn
 * writes and bit rot. Tamper evidence comes from the hashes and signatures, never from the CRC.
 */
export const FRAME_OVERHEAD = 8;

const table = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32Js(data: Uint8Array, value = 0): number {
  let c = ~value >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32 (ISO-HDLC, as zlib/gzip/PNG); node:zlib's native one where Node has it (≥ 20.15). */
export const crc32: (data: Uint8Array, value?: number) => number =
  typeof zlibCrc32 === 'function' ? (d, v) => zlibCrc32(d, v ?? 0) : crc32Js;

/** The CRC a frame carries: over the 4 length bytes, then the body. */
export function frameCrc(buf: Uint8Array, frameStart: number, bodyLength: number): number {
  const head = crc32(buf.subarray(frameStart, frameStart + 4));
  return crc32(buf.subarray(frameStart + 4, frameStart + 4 + bodyLength), head);
}

/** Frame one body. */
export function frameRecord(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + FRAME_OVERHEAD);
  writeFrame(out, 0, body);
  return out;
}

/** Write a framed body at `at`; returns the offset after it. */
export function writeFrame(out: Uint8Array, at: number, body: Uint8Array): number {
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  view.setUint32(at, body.length);
  out.set(body, at + 4);
  view.setUint32(at + 4 + body.length, frameCrc(out, at, body.length));
  return at + body.length + FRAME_OVERHEAD;
}

/** Check the frame at `at` (its bytes must all be in buf); undefined when intact, else why not. */
export function checkFrame(buf: Uint8Array, at: number, bodyLength: number): string | undefined {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const stored = view.getUint32(at + 4 + bodyLength);
  return stored === frameCrc(buf, at, bodyLength) ? undefined : 'record checksum mismatch';
}
