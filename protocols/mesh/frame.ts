import { FrameTooLargeError } from './errors.ts';

/** Noise messages are at most 65535 bytes, so a u16 big-endian length prefix frames them (§13). */
export const MAX_FRAME_LENGTH = 65535;
export const FRAME_HEADER_LENGTH = 2;

/**
 * Frames several Noise messages into one buffer, ready for a single socket write. A message may
 * be given as pieces (e.g. ciphertext and tag), which are joined here in the same copy.
 */
export function encodeFrames(
  messages: readonly (Uint8Array | readonly Uint8Array[])[],
): Uint8Array {
  let total = 0;
  const lengths: number[] = [];
  for (const m of messages) {
    let n = 0;
    if (m instanceof Uint8Array) n = m.length;
    else for (const p of m) n += p.length;
    if (n > MAX_FRAME_LENGTH) {
      throw new FrameTooLargeError(
        `a Noise message is at most 65535 bytes, got ${n}: fragment the payload first`,
      );
    }
    lengths.push(n);
    total += FRAME_HEADER_LENGTH + n;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const [i, m] of messages.entries()) {
    const n = lengths[i]!;
    out[o] = n >>> 8;
    out[o + 1] = n & 0xff;
    o += FRAME_HEADER_LENGTH;
    for (const p of m instanceof Uint8Array ? [m] : m) {
      out.set(p, o);
      o += p.length;
    }
  }
  return out;
}

/**
 * The same wire bytes as encodeFrames, as an ordered list of buffers (length prefixes and
 * pieces) for a corked, vectored socket write: no copy at all.
 */
export function framePieces(messages: readonly (readonly Uint8Array[])[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of messages) {
    let n = 0;
    for (const p of m) n += p.length;
    if (n > MAX_FRAME_LENGTH) {
      throw new FrameTooLargeError(
        `a Noise message is at most 65535 bytes, got ${n}: fragment the payload first`,
      );
    }
    out.push(new Uint8Array([n >>> 8, n & 0xff]), ...m);
  }
  return out;
}

export function encodeFrame(message: Uint8Array): Uint8Array {
  return encodeFrames([message]);
}

/**
 * Incremental decoder of length-prefixed frames. Holds at most one partial frame (< 65537 bytes),
 * so a peer cannot make it buffer more; `pendingBytes` tells the link when a deadline should run.
 */
export class FrameDecoder {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #need = -1;
  #completed = 0;

  /** Bytes held that do not yet form a whole frame; 0 exactly at a frame boundary. */
  get pendingBytes(): number {
    return this.#buffered;
  }

  /** How many whole frames came out so far; lets a deadline notice progress. */
  get framesCompleted(): number {
    return this.#completed;
  }

  /** Adds bytes from the wire and returns every frame body they complete, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < FRAME_HEADER_LENGTH) break;
        const header = this.#take(FRAME_HEADER_LENGTH);
        this.#need = (header[0]! << 8) | header[1]!;
      }
      if (this.#buffered < this.#need) break;
      out.push(this.#take(this.#need));
      this.#need = -1;
      this.#completed++;
    }
    return out;
  }

  /** Takes n bytes from the front: a view when they sit in one chunk, a copy otherwise. */
  #take(n: number): Uint8Array {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (first && first.length >= n) {
      const part = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return part;
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.length, n - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    return out;
  }
}
