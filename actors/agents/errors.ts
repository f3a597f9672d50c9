import { TroupeError } from '../../runtime/index.ts';

/** Why a model call failed, so callers can tell a bad key from a flaky server. */
export type ModelErrorKind =
  /** The server said no for good: 4xx other than 408/409/429 (bad key, bad request). */
  | 'rejected'
  /** 429 or 5xx (or a dropped connection) still failing after every retry. */
  | 'unavailable'
  /** The body was not the API's documented shape. */
  | 'malformed'
  /** The deadline passed or the signal aborted the request. */
  | 'aborted'
  /** A scripted model ran out of steps. */
  | 'exhausted';

/** A model call failed; `status` is the last HTTP status seen, if any. */
export class ModelError extends TroupeError {
  readonly code = 'ModelError';
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly status: number | null = null,
    options?: ErrorOptions,
  ) {
    super(message, { ...options, detail: { kind, status } });
  }
}
