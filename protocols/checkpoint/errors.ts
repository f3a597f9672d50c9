import { NamedError } from '../named-error.ts';

/** A signed note that breaks the C2SP signed-note format (c2sp.org/signed-note). */
export class NoteFormatError extends NamedError {}

/** A signature from a known key that does not verify: the whole note is rejected. */
export class NoteSignatureError extends NamedError {
  constructor(
    message: string,
    readonly keyName: string,
    readonly keyId: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** No signature from a known key verified, or a key the policy requires did not sign. */
export class NoteUnverifiedError extends NamedError {}

/** A note text that is not a C2SP tlog-checkpoint body. */
export class CheckpointFormatError extends NamedError {}

/** A vkey or skey string, or key material, that is malformed or does not match its key ID. */
export class KeyFormatError extends NamedError {}
