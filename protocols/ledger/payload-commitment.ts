import { createHash, hash as nodeHash } from 'node:crypto';

/** Domain separation for payload commitments; changing it would be a new leaf version. */
export const PAYLOAD_DOMAIN = 'troupe-audit/payload/v1';
export const SALT_BYTES = 32;

const prefix = Buffer.concat([Buffer.from(PAYLOAD_DOMAIN, 'utf8'), Buffer.of(0)]);
let scratch = new Uint8Array(4096);
scratch.set(prefix, 0);

/**
 * SHA-256("troupe-audit/payload/v1" ‖ 0x00 ‖ salt[32] ‖ payload). The 32-byte random salt stops
 * anyone confirming a guessed low-entropy payload from the leaf alone; deleting salt and payload
 * erases the content while every proof over the leaf stays valid.
 */
export function commitPayload(salt: Uint8Array, payload: Uint8Array): Uint8Array {
  if (salt.length !== SALT_BYTES) throw new RangeError(`salt must be ${SALT_BYTES} bytes`);
  const len = prefix.length + SALT_BYTES + payload.length;
  if (typeof nodeHash !== 'function') {
    return new Uint8Array(
      createHash('sha256').update(prefix).update(salt).update(payload).digest(),
    );
  }
  if (len > scratch.length) {
    scratch = new Uint8Array(Math.max(len, scratch.length * 2));
    scratch.set(prefix, 0);
  }
  scratch.set(salt, prefix.length);
  scratch.set(payload, prefix.length + SALT_BYTES);
  const b = nodeHash('sha256', scratch.subarray(0, len), 'buffer');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/**
 * commitPayload over salt ‖ payload lying contiguous in `buf` at [start, end) (as in a payload
 * record), without slicing them apart: the verifier's hot path.
 */
export function commitPayloadAt(buf: Uint8Array, start: number, end: number): Uint8Array {
  if (end - start < SALT_BYTES) throw new RangeError(`salt must be ${SALT_BYTES} bytes`);
  if (typeof nodeHash !== 'function') {
    return commitPayload(
      buf.subarray(start, start + SALT_BYTES),
      buf.subarray(start + SALT_BYTES, end),
    );
  }
  const len = prefix.length + end - start;
  if (len > scratch.length) {
    scratch = new Uint8Array(Math.max(len, scratch.length * 2));
    scratch.set(prefix, 0);
  }
  scratch.set(buf.subarray(start, end), prefix.length);
  const b = nodeHash('sha256', scratch.subarray(0, len), 'buffer');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
