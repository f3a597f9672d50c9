import { NamedError } from '../named-error.ts';

/** Bytes that are not a canonical v1 ledger leaf, or a leaf that cannot be encoded. */
export class LeafFormatError extends NamedError {}
