export {
  NoSuchSecret,
  NoSuchSecretError,
  SecretsCorrupt,
  SecretsCorruptError,
  SecretsKeyInvalid,
  SecretsKeyInvalidError,
  SecretsKeyMissing,
  SecretsKeyMissingError,
} from './errors.ts';
export { masterKeyFromEnv, newMasterKey, parseMasterKey } from './master-key.ts';
export { SecretStore, secretsDirFromEnv } from './secret-store.ts';
