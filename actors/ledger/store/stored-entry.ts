import { decodeLeaf } from '../../../protocols/ledger/index.ts';
import { hashLeaf } from '../../../protocols/merkle/index.ts';
import { LedgerCorruptError } from './errors.ts';
import { PAYLOAD_HEAD_BYTES, PayloadStatus } from './payload-record.ts';
import type { StoredEntry, StoredPayload } from './types.ts';

/**
 * Entry `index` from its leaf record body and payload record body, however they were read (the
 * open ledger by offset, a read-only tool by walking the frames). A leaf that does not decode is
 * a LedgerCorruptError; the payload's status byte picks its shape.
 */
export function decodeStoredEntry(
  index: number,
  leafBytes: Uint8Array,
  payloadBody: Uint8Array,
): StoredEntry {
  const status = payloadBody[0];
  let payload: StoredPayload;
  if (status === PayloadStatus.present) {
    payload = {
      status: 'present',
      salt: payloadBody.slice(1, PAYLOAD_HEAD_BYTES),
      payload: payloadBody.slice(PAYLOAD_HEAD_BYTES),
    };
  } else payload = { status: status === PayloadStatus.erased ? 'erased' : 'none' };
  let leaf: StoredEntry['leaf'];
  try {
    leaf = decodeLeaf(leafBytes);
  } catch (err) {
    throw new LedgerCorruptError(
      `entry ${index} does not decode`,
      { file: 'leaves.log', index },
      { cause: err },
    );
  }
  return { index, leaf, leafBytes, leafHash: hashLeaf(leafBytes), payload };
}
