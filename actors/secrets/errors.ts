import { TroupeError } from '../../runtime/index.ts';

/** No master key: the store cannot be opened. */
export class SecretsKeyMissing extends TroupeError {
  readonly code = 'SecretsKeyMissing';
  override readonly name = 'SecretsKeyMissing';
}

/** The master key is malformed (not 32 bytes as 64 hex characters or base64). */
export class SecretsKeyInvalid extends TroupeError {
  readonly code = 'SecretsKeyInvalid';
  override readonly name = 'SecretsKeyInvalid';
}

/** A store file failed to decrypt: a wrong master key, or the file was altered. */
export class SecretsCorrupt extends TroupeError {
  readonly code = 'SecretsCorrupt';
  override readonly name = 'SecretsCorrupt';
  constructor(
    readonly agent: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`secrets of ${agent}: ${message}`, options);
  }
  override get detail(): unknown {
    return { agent: this.agent };
  }
}

/** A secret an agent asks for is not in the store. */
export class NoSuchSecret extends TroupeError {
  readonly code = 'NoSuchSecret';
  override readonly name = 'NoSuchSecret';
  constructor(
    readonly agent: string,
    readonly secret: string,
  ) {
    super(`no secret ${secret} for ${agent} (set it with: troupe secrets set ${agent} ${secret})`);
  }
  override get detail(): unknown {
    return { agent: this.agent, secret: this.secret };
  }
}
