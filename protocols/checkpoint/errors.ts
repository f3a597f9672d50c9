/** A signed note that breaks the C2SP signed-note format (c2sp.org/signed-note). */
export class NoteFormatError extends Error {
  override readonly name = 'NoteFormatError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A signature from a known key that does not verify: the whole note is rejected. */
export class NoteSignatureError extends Error {
  override readonly name = 'NoteSignatureError';
  constructor(
    message: string,
    readonly keyName: string,
    readonly keyId: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** No signature from a known key verified, or a key the policy requires did not sign. */
export class NoteUnverifiedError extends Error {
  override readonly name = 'NoteUnverifiedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A note text that is not a C2SP tlog-checkpoint body. */
export class CheckpointFormatError extends Error {
  override readonly name = 'CheckpointFormatError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A vkey or skey string, or key material, that is malformed or does not match its key ID. */
export class KeyFormatError extends Error {
  override readonly name = 'KeyFormatError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
