/** Bytes that are not a valid envelope. */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
