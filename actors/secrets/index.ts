export { NoSuchSecret, SecretsCorrupt, SecretsKeyInvalid, SecretsKeyMissing } from './errors.ts';
export { masterKeyFromEnv, newMasterKey, parseMasterKey } from './master-key.ts';
export { SecretStore, secretsDirFromEnv } from './secret-store.ts';
