import { TroupeError } from '../../runtime/index.ts';

/** An agent process could not be started (workspace, secrets, spawn, or it died before ready). */
export class ProcessStartFailedError extends TroupeError {
  readonly code = 'ProcessStartFailed';
  constructor(
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`process agent ${path}: ${message}`, { ...options, detail: { path } });
  }
}

/** @deprecated use ProcessStartFailedError (the same class; the wire code is unchanged) */
export { ProcessStartFailedError as ProcessStartFailed };
