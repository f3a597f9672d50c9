import { TroupeError } from '../../runtime/index.ts';

/** An agent process could not be started (workspace, secrets, spawn, or it died before ready). */
export class ProcessStartFailed extends TroupeError {
  readonly code = 'ProcessStartFailed';
  override readonly name = 'ProcessStartFailed';
  constructor(
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`process agent ${path}: ${message}`, options);
  }
  override get detail(): unknown {
    return { path: this.path };
  }
}
