import { NamedError } from '../named-error.ts';

/** Bytes that are not a valid envelope. */
export class EnvelopeError extends NamedError {}
