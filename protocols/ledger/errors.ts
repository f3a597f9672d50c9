/** Bytes that are not a canonical v1 ledger leaf, or a leaf that cannot be encoded. */
export class LeafFormatError extends Error {
  override readonly name = 'LeafFormatError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
