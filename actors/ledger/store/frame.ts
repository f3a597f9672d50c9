import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * Record framing for the logs: [u32 BE body length][body][u32 BE check]. The check value finds
 * torn writes and bit rot; tamper evidence comes from the hashes and signatures, never from it.
 *  - leaves.log: the first 4 bytes of the entry's RFC 9162 leaf hash (computed anyway, so the
 *    check costs nothing on the million-entry verify path);
 *  - payloads.log: the first 4 bytes of the leaf's payload commitment for a present payload,
 *    0 for an erased or absent one;
 *  - state and checkpoints.log: CRC-32 (zlib's) over the length field and the body.
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

/** The CRC a CRC-framed record carries: over the 4 length bytes and the body (contiguous). */
export function frameCrc(buf: Uint8Array, frameStart: number, bodyLength: number): number {
  return crc32(buf.subarray(frameStart, frameStart + 4 + bodyLength));
}

/** The first 4 bytes of a hash as the u32 a hash-checked frame carries. */
export function hashCheck(hash: Uint8Array, at = 0): number {
  return ((hash[at]! << 24) | (hash[at + 1]! << 16) | (hash[at + 2]! << 8) | hash[at + 3]!) >>> 0;
}

/** Frame one body; the check defaults to the CRC. */
export function frameRecord(body: Uint8Array, check?: number): Uint8Array {
  const out = new Uint8Array(body.length + FRAME_OVERHEAD);
  writeFrame(out, 0, body, check);
  return out;
}

/** Write a framed body at `at`; returns the offset after it. */
export function writeFrame(out: Uint8Array, at: number, body: Uint8Array, check?: number): number {
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  view.setUint32(at, body.length);
  out.set(body, at + 4);
  view.setUint32(at + 4 + body.length, check ?? frameCrc(out, at, body.length));
  return at + body.length + FRAME_OVERHEAD;
}

/** The check value a frame carries. */
export function frameCheck(view: DataView, at: number, bodyLength: number): number {
  return view.getUint32(at + 4 + bodyLength);
}

/** Check a CRC-framed record at `at` (all its bytes in buf); undefined when intact, else why not. */
export function checkFrame(
  buf: Uint8Array,
  at: number,
  bodyLength: number,
  view: DataView = new DataView(buf.buffer, buf.byteOffset, buf.length),
): string | undefined {
  const stored = view.getUint32(at + 4 + bodyLength);
  return stored === frameCrc(buf, at, bodyLength) ? undefined : 'record checksum mismatch';
}
