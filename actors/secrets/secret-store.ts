import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { z } from 'zod';
import { InvalidArgument } from '../../runtime/index.ts';
import { writeFileAtomic } from '../bridge/index.ts';
import { NoSuchSecret, SecretsCorrupt } from './errors.ts';
import { KEY_BYTES } from './master-key.ts';

const AGENT = /^[A-Za-z0-9_-]{1,128}(\/[A-Za-z0-9_-]{1,128})*$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_VALUE = 64 * 1024;
const SUFFIX = '.secrets';

const Sealed = z.object({ nonce: z.string(), ct: z.string() }).strict();
const FileSchema = z
  .object({ v: z.literal(1), agent: z.string(), key: Sealed, data: Sealed })
  .strict();
const Values = z.record(z.string(), z.string());

function checkAgent(agent: string): void {
  if (!AGENT.test(agent))
    throw new InvalidArgument(
      `agent must be an actor path like team/coder (got ${JSON.stringify(agent)})`,
    );
}

function checkName(name: string): void {
  if (!NAME.test(name))
    throw new InvalidArgument(
      `secret name must look like an environment variable name (got ${JSON.stringify(name)})`,
    );
}

function seal(key: Uint8Array, plain: Uint8Array, aad: string): z.infer<typeof Sealed> {
  const nonce = randomBytes(24);
  const ct = xchacha20poly1305(key, nonce, Buffer.from(aad)).encrypt(plain);
  return { nonce: nonce.toString('base64'), ct: Buffer.from(ct).toString('base64') };
}

function open(key: Uint8Array, s: z.infer<typeof Sealed>, aad: string): Uint8Array {
  return xchacha20poly1305(key, Buffer.from(s.nonce, 'base64'), Buffer.from(aad)).decrypt(
    Buffer.from(s.ct, 'base64'),
  );
}

/**
 * Per-agent secrets, encrypted at rest. Each agent has one file: its values (JSON) under a
 * data key of its own, the data key wrapped by the master key, both XChaCha20-Poly1305 with
 * the agent's path as associated data, so a file moved to another agent's name fails to open.
 * Values are decrypted only to be handed to the agent's process on a pipe.
 */
export class SecretStore {
  readonly dir: string;

  constructor(
    dir: string,
    private readonly masterKey: Uint8Array,
  ) {
    if (masterKey.length !== KEY_BYTES) throw new InvalidArgument('master key must be 32 bytes');
    this.dir = resolve(dir);
  }

  private file(agent: string): string {
    return join(this.dir, `${agent.replaceAll('/', '.')}${SUFFIX}`);
  }

  private async load(agent: string): Promise<Record<string, string>> {
    checkAgent(agent);
    let text: string;
    try {
      text = await readFile(this.file(agent), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    let parsed: z.infer<typeof FileSchema>;
    try {
      parsed = FileSchema.parse(JSON.parse(text));
    } catch (cause) {
      throw new SecretsCorrupt(agent, 'the store file is not a secrets file', { cause });
    }
    if (parsed.agent !== agent)
      throw new SecretsCorrupt(agent, `the file belongs to ${parsed.agent}`);
    let dataKey: Uint8Array;
    try {
      dataKey = open(this.masterKey, parsed.key, `troupe-secrets/v1/key/${agent}`);
    } catch (cause) {
      throw new SecretsCorrupt(agent, 'cannot decrypt: wrong master key or altered file', {
        cause,
      });
    }
    try {
      const plain = open(dataKey, parsed.data, `troupe-secrets/v1/data/${agent}`);
      return Values.parse(JSON.parse(Buffer.from(plain).toString('utf8')));
    } catch (cause) {
      throw new SecretsCorrupt(agent, 'cannot decrypt its values: altered file', { cause });
    } finally {
      dataKey.fill(0);
    }
  }

  private async save(
    agent: string,
    values: Record<string, string>,
    key = this.masterKey,
  ): Promise<void> {
    if (Object.keys(values).length === 0) {
      await rm(this.file(agent), { force: true });
      return;
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const dataKey = new Uint8Array(randomBytes(KEY_BYTES));
    try {
      const body = {
        v: 1,
        agent,
        key: seal(key, dataKey, `troupe-secrets/v1/key/${agent}`),
        data: seal(dataKey, Buffer.from(JSON.stringify(values)), `troupe-secrets/v1/data/${agent}`),
      };
      await writeFileAtomic(this.file(agent), `${JSON.stringify(body)}\n`);
    } finally {
      dataKey.fill(0);
    }
  }

  async set(agent: string, name: string, value: string): Promise<void> {
    checkName(name);
    if (typeof value !== 'string' || Buffer.byteLength(value) > MAX_VALUE)
      throw new InvalidArgument(`secret ${name}: a string of at most ${MAX_VALUE} bytes`);
    const values = await this.load(agent);
    values[name] = value;
    await this.save(agent, values);
  }

  /** The names of an agent's secrets (never the values). */
  async list(agent: string): Promise<string[]> {
    return Object.keys(await this.load(agent)).sort();
  }

  /** Remove one secret, or all of the agent's; false when there was nothing to remove. */
  async rm(agent: string, name?: string): Promise<boolean> {
    const values = await this.load(agent);
    if (name === undefined) {
      const had = Object.keys(values).length > 0;
      await this.save(agent, {});
      return had;
    }
    checkName(name);
    if (!(name in values)) return false;
    delete values[name];
    await this.save(agent, values);
    return true;
  }

  /**
   * A fresh data key for the agent's file; with `newMasterKey`, wrapped under that key instead
   * (rotate every agent, then switch TROUPE_SECRETS_KEY). Returns how many secrets it holds.
   */
  async rotate(agent: string, newMasterKey?: Uint8Array): Promise<number> {
    if (newMasterKey !== undefined && newMasterKey.length !== KEY_BYTES)
      throw new InvalidArgument('new master key must be 32 bytes');
    const values = await this.load(agent);
    await this.save(agent, values, newMasterKey ?? this.masterKey);
    return Object.keys(values).length;
  }

  /** The named secrets of an agent, for delivery to its process; a missing one is an error. */
  async resolve(agent: string, names: readonly string[]): Promise<Record<string, string>> {
    if (names.length === 0) return {};
    const values = await this.load(agent);
    const out: Record<string, string> = {};
    for (const n of names) {
      const v = values[n];
      if (v === undefined) throw new NoSuchSecret(agent, n);
      out[n] = v;
    }
    return out;
  }

  /** Agents with a store file. */
  async agents(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter((n) => n.endsWith(SUFFIX))
      .map((n) => n.slice(0, -SUFFIX.length).replaceAll('.', '/'))
      .sort();
  }
}

/** The store directory: TROUPE_SECRETS_DIR, else `.troupe/secrets` under the working directory. */
export function secretsDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TROUPE_SECRETS_DIR || '.troupe/secrets');
}
