export { LeafFormatError } from './errors.ts';
export { decodeLeaf, encodeLeaf, type Leaf, type LeafType } from './leaf.ts';
export {
  emptyLayout,
  joinU64,
  LEAF_MAX_BYTES,
  LEAF_MIN_BYTES,
  LEAF_VERSION,
  type LeafLayout,
  LeafTypeCode,
  scanLeaf,
} from './leaf-scan.ts';
export {
  commitPayload,
  commitPayloadAt,
  PAYLOAD_DOMAIN,
  SALT_BYTES,
} from './payload-commitment.ts';
