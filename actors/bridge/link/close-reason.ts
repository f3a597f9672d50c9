/** Why a link closed. `closed` resolves with one of these and never rejects. */
export type LinkCloseReason =
  /** We called close(). */
  | { by: 'local'; code: number; reason: string }
  /** The peer sent an authenticated close record. */
  | { by: 'remote'; code: number; reason: string }
  /** An error closed it: a typed protocol error (protocols/noise, protocols/mesh) or a LinkError. */
  | { by: 'error'; error: Error };
