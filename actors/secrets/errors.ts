import { TroupeError } from '../../runtime/index.ts';

/** No master key: the store cannot be opened. */
export class SecretsKeyMissingError extends TroupeError.withCode('SecretsKeyMissing') {}

/** The master key is malformed (not 32 bytes as 64 hex characters or base64). */
export class SecretsKeyInvalidError extends TroupeError.withCode('SecretsKeyInvalid') {}

/** A store file failed to decrypt: a wrong master key, or the file was altered. */
export class SecretsCorruptError extends TroupeError {
  readonly code = 'SecretsCorrupt';
  constructor(
    readonly agent: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`secrets of ${agent}: ${message}`, { ...options, detail: { agent } });
  }
}

/** A secret an agent asks for is not in the store. */
export class NoSuchSecretError extends TroupeError {
  readonly code = 'NoSuchSecret';
  constructor(
    readonly agent: string,
    readonly secret: string,
  ) {
    super(`no secret ${secret} for ${agent} (set it with: troupe secrets set ${agent} ${secret})`, {
      detail: { agent, secret },
    });
  }
}

// The names before the `…Error` convention: the same classes; the wire codes are unchanged.
export {
  /** @deprecated use NoSuchSecretError */
  NoSuchSecretError as NoSuchSecret,
  /** @deprecated use SecretsCorruptError */
  SecretsCorruptError as SecretsCorrupt,
  /** @deprecated use SecretsKeyInvalidError */
  SecretsKeyInvalidError as SecretsKeyInvalid,
  /** @deprecated use SecretsKeyMissingError */
  SecretsKeyMissingError as SecretsKeyMissing,
};
