import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  type CryptoBackend,
  fromHex,
  type KeyPair,
  nodeBackend,
  toHex,
  x25519KeyPair,
} from '../../protocols/crypto/index.ts';
import { MESH_ID_LENGTH } from '../../protocols/mesh/index.ts';
import { InvalidArgument } from '../../runtime/index.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { IdentityError } from './errors.ts';
import { hexBytes, parseSiteFile, SITE_FILE_HEADER } from './site-file.ts';

/** Where a site keeps its mesh files when neither `--dir` nor TROUPE_MESH_DIR says otherwise. */
export const DEFAULT_MESH_DIR = '.troupe/mesh';
export const IDENTITY_FILE = 'identity.json';

/** A site's long-term identity: its static X25519 key and the mesh it belongs to. */
export interface SiteIdentity {
  readonly dir: string;
  readonly meshId: Uint8Array;
  readonly keyPair: KeyPair;
  readonly createdAt: number;
}

const IdentityFileSchema = z
  .object({
    ...SITE_FILE_HEADER,
    publicKey: hexBytes(32),
    privateKey: hexBytes(32),
    createdAt: z.number().int().nonnegative(),
  })
  .strict();

/** The site directory: explicit, else TROUPE_MESH_DIR, else ./.troupe/mesh. */
export function meshDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const d = explicit ?? env.TROUPE_MESH_DIR ?? DEFAULT_MESH_DIR;
  if (typeof d !== 'string' || d.trim() === '') {
    throw new InvalidArgument('the mesh directory must be a non-empty path');
  }
  return resolve(d);
}

/** A short, comparable form of a public key for humans: SHA-256, first 16 bytes, in groups. */
export function fingerprint(publicKey: Uint8Array, backend: CryptoBackend = nodeBackend): string {
  const h = toHex(backend.sha256(publicKey).subarray(0, 16));
  return h.match(/.{4}/g)!.join(':');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new IdentityError(`cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
}

async function write(id: SiteIdentity): Promise<void> {
  const body = JSON.stringify({
    version: 1,
    meshId: toHex(id.meshId),
    publicKey: toHex(id.keyPair.publicKey),
    privateKey: toHex(id.keyPair.privateKey),
    createdAt: id.createdAt,
  });
  try {
    await writeFileAtomic(join(id.dir, IDENTITY_FILE), `${body}\n`);
  } catch (cause) {
    throw new IdentityError(
      `cannot write the site identity in ${id.dir}: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/**
 * `troupe mesh init`: a fresh static key and a fresh mesh id in `dir` (created 0700; the file
 * is 0600). Refuses to replace an existing identity unless `force`: peers pin the old key.
 */
export async function initIdentity(
  dir: string,
  options: { force?: boolean; backend?: CryptoBackend; now?: number } = {},
): Promise<SiteIdentity> {
  const backend = options.backend ?? nodeBackend;
  const path = join(dir, IDENTITY_FILE);
  if (!options.force && (await exists(path))) {
    throw new IdentityError(
      `${path} already holds a site identity; paired peers pin its key. Use --force to replace it`,
    );
  }
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new IdentityError(
      `cannot create the mesh directory ${dir}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const id: SiteIdentity = {
    dir,
    meshId: backend.randomBytes(MESH_ID_LENGTH),
    keyPair: x25519KeyPair(backend),
    createdAt: options.now ?? Date.now(),
  };
  await write(id);
  return id;
}

/** Loads the identity of `dir`; a missing, too-open or malformed file is an IdentityError. */
export async function loadIdentity(
  dir: string,
  backend: CryptoBackend = nodeBackend,
): Promise<SiteIdentity> {
  const path = join(dir, IDENTITY_FILE);
  let text: string;
  try {
    const st = await stat(path);
    // Like ssh: a private key others can read is not private any more.
    if ((st.mode & 0o077) !== 0) {
      throw new IdentityError(
        `${path} is readable by other users (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if (cause instanceof IdentityError) throw cause;
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new IdentityError(
        `no site identity in ${dir}: run \`troupe mesh init --dir ${dir}\` first`,
      );
    }
    throw new IdentityError(`cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  const file = parseSiteFile(
    text,
    IdentityFileSchema,
    (where) => new IdentityError(`${path} is not a valid site identity (${where})`),
  );
  const keyPair = x25519KeyPair(backend, fromHex(file.privateKey));
  if (toHex(keyPair.publicKey) !== file.publicKey) {
    throw new IdentityError(`${path}: the public key does not match the private key`);
  }
  return {
    dir,
    meshId: fromHex(file.meshId),
    keyPair,
    createdAt: file.createdAt,
  };
}

/** The same key under another mesh id: a site with no peers yet joins the inviter's mesh. */
export async function adoptMesh(id: SiteIdentity, meshId: Uint8Array): Promise<SiteIdentity> {
  if (meshId.length !== MESH_ID_LENGTH) throw new InvalidArgument('a mesh id is 16 bytes');
  const next: SiteIdentity = { ...id, meshId: meshId.slice() };
  await write(next);
  return next;
}
