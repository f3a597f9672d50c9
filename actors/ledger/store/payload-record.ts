import { SALT_BYTES } from '../../../protocols/ledger/index.ts';

/**
 * A payload record body: [u8 status][32 salt][payload]. One record per leaf, in leaf order, so
 * record i belongs to leaf i. Erasing zeroes salt and payload in place and sets status 0: the
 * record keeps its length (the log keeps its offsets) and the leaf, root and proofs stay valid.
 */
export const PayloadStatus = {
  /** Salt and payload deleted (all zeros); the leaf's commitment can no longer be opened. */
  erased: 0,
  /** Salt and payload present; SHA-256 commitment must match the leaf. */
  present: 1,
  /** A gap leaf: no payload, zero salt, empty body after the salt. */
  none: 2,
} as const;
export type PayloadStatus = (typeof PayloadStatus)[keyof typeof PayloadStatus];

export const PAYLOAD_HEAD_BYTES = 1 + SALT_BYTES;

export function encodePayloadBody(
  status: PayloadStatus,
  salt: Uint8Array,
  payload: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(PAYLOAD_HEAD_BYTES + payload.length);
  out[0] = status;
  out.set(salt, 1);
  out.set(payload, PAYLOAD_HEAD_BYTES);
  return out;
}
