import { ReassemblyLimitError } from './errors.ts';

/** 16 MiB: large enough for any actor message, small enough that a peer cannot exhaust memory. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Joins fragments of one application frame, refusing to hold more than `limit` bytes. */
export class Reassembler {
  #parts: Uint8Array[] = [];
  #size = 0;

  constructor(readonly limit: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes held for the frame in progress. */
  get pendingBytes(): number {
    return this.#size;
  }

  /** Adds one fragment; returns the whole frame when `final`, else undefined. */
  push(fragment: Uint8Array, final: boolean): Uint8Array | undefined {
    this.#size += fragment.length;
    if (this.#size > this.limit) {
      const size = this.#size;
      this.#parts = [];
      this.#size = 0;
      throw new ReassemblyLimitError(
        `the peer's frame grew to ${size} bytes, over the reassembly cap of ${this.limit}: ` +
          'raise maxFrameBytes on both sides or send smaller frames',
        this.limit,
      );
    }
    if (!final) {
      // Fragments are fresh plaintext buffers owned by the session: kept without a copy.
      this.#parts.push(fragment);
      return undefined;
    }
    if (this.#parts.length === 0) {
      this.#size = 0;
      return fragment;
    }
    const out = new Uint8Array(this.#size);
    let o = 0;
    for (const p of this.#parts) {
      out.set(p, o);
      o += p.length;
    }
    out.set(fragment, o);
    this.#parts = [];
    this.#size = 0;
    return out;
  }
}
