import { NamedError } from '../../../protocols/named-error.ts';

/**
 * Why a witness refused to cosign. `httpStatus` is the c2sp.org/tlog-witness add-checkpoint
 * answer for the same refusal, for the HTTP front end that will carry these.
 */
export class WitnessError extends NamedError {
  constructor(
    message: string,
    readonly httpStatus: 400 | 403 | 404 | 409 | 422,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The checkpoint's origin is not a log this witness follows (404). */
export class WitnessUnknownLogError extends WitnessError {
  constructor(readonly origin: string) {
    super(`this witness does not follow ${origin}`, 404);
  }
}

/** No valid signature from the log's keys, or a bad one from a known key (403). */
export class WitnessSignatureError extends WitnessError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 403, options);
  }
}

/** A malformed request: old size beyond the checkpoint size, unparsable bytes (400). */
export class WitnessBadRequestError extends WitnessError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 400, options);
  }
}

/** The old size is not the size this witness last cosigned: resend from `knownSize` (409). */
export class WitnessConflictError extends WitnessError {
  constructor(readonly knownSize: bigint) {
    super(`this witness last cosigned size ${knownSize}`, 409);
  }
}

/** A checkpoint smaller than one this witness already cosigned: a rollback (409). */
export class WitnessRollbackError extends WitnessError {
  constructor(
    readonly knownSize: bigint,
    readonly offeredSize: bigint,
  ) {
    super(`rollback: offered size ${offeredSize}, already cosigned ${knownSize}`, 409);
  }
}

/**
 * Two different trees for the log: same size with another root, or a consistency proof that does
 * not lead from what the witness cosigned to the offered checkpoint (422). Evidence of a fork.
 */
export class WitnessForkError extends WitnessError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 422, options);
  }
}
