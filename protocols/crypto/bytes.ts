/** Small byte helpers shared by the crypto protocols. Nothing here allocates more than it returns. */

const HEX = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX[b >> 4]! + HEX[b & 15]!;
  return s;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`not a hex string of whole bytes: ${hex.slice(0, 16)}…`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Equality whose time depends only on the lengths, for secrets and pinned keys. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** True when every byte is zero, in time that depends only on the length. */
export function isAllZero(a: Uint8Array): boolean {
  let d = 0;
  for (const b of a) d |= b;
  return d === 0;
}

/** Best-effort wipe of secret material we own (JS cannot promise more). */
export function wipe(...parts: (Uint8Array | null | undefined)[]): void {
  for (const p of parts) p?.fill(0);
}

/** A plain Uint8Array view of any byte array (Node Buffers included), without copying. */
export function asBytes(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
