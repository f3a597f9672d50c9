import { FrameTooLargeError } from './errors.ts';

/** Noise messages are at most 65535 bytes, so a u16 big-endian length prefix frames them (§13). */
export const MAX_FRAME_LENGTH = 65535;
export const FRAME_HEADER_LENGTH = 2;

/** Frames several Noise messages into one buffer, ready for a single socket write. */
export function encodeFrames(messages: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const m of messages) {
    if (m.length > MAX_FRAME_LENGTH) {
      throw new FrameTooLargeError(
        `a Noise message is at most 65535 bytes, got ${m.length}: fragment the payload first`,
      );
    }
    total += FRAME_HEADER_LENGTH + m.length;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const m of messages) {
    out[o] = m.length >>> 8;
    out[o + 1] = m.length & 0xff;
    out.set(m, o + FRAME_HEADER_LENGTH);
    o += FRAME_HEADER_LENGTH + m.length;
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
