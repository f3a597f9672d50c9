import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fromHex, toHex } from '../../protocols/crypto/index.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { RosterError, UnknownPeerError } from './errors.ts';
import { hexBytes, parseSiteFile, SITE_FILE_HEADER } from './site-file.ts';

export const ROSTER_FILE = 'roster.json';

/** A site name is its system name, so it is a NATS subject token. */
export const SiteName = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a site (system) name');

/** `host:port`, `[v6]:port`. */
export const Endpoint = z
  .string()
  .max(255)
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port');

/** One paired site. */
export interface Peer {
  /** The peer's system name: what `troupe.<local>.mesh.<site>.>` names. */
  readonly site: string;
  /** Its pinned static X25519 key. */
  readonly publicKey: Uint8Array;
  /** Where it listens (a hint: the pinned key is what authenticates). */
  readonly endpoints: readonly string[];
  /** True when this side dials the peer (we joined through its invite); else the peer dials us. */
  readonly dial: boolean;
  readonly addedAt: number;
}

const RosterFileSchema = z
  .object({
    ...SITE_FILE_HEADER,
    peers: z.array(
      z
        .object({
          site: SiteName,
          publicKey: hexBytes(32),
          endpoints: z.array(Endpoint).max(16),
          dial: z.boolean(),
          addedAt: z.number().int().nonnegative(),
        })
        .strict(),
    ),
  })
  .strict();

/**
 * The paired peers of a site: site name ↔ pinned key ↔ endpoints, in one JSON file rewritten
 * atomically after every change. A site name and a key each appear at most once.
 */
export class Roster {
  readonly #path: string;
  #meshId: Uint8Array;
  readonly #bySite = new Map<string, Peer>();
  readonly #byKey = new Map<string, Peer>();
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, meshId: Uint8Array) {
    this.#path = path;
    this.#meshId = meshId;
  }

  /** Loads `dir`/roster.json, or starts empty. A roster of another mesh is refused. */
  static async open(dir: string, meshId: Uint8Array): Promise<Roster> {
    const path = join(dir, ROSTER_FILE);
    const roster = new Roster(path, meshId);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return roster;
      throw new RosterError(`cannot read the roster ${path}: ${(cause as Error).message}`, {
        cause,
      });
    }
    const file = parseSiteFile(
      text,
      RosterFileSchema,
      (where) =>
        new RosterError(
          `the roster ${path} is not valid (${where}): restore it from a backup or move it away`,
        ),
    );
    if (file.peers.length > 0 && file.meshId !== toHex(meshId)) {
      throw new RosterError(`the roster ${path} belongs to another mesh than the site identity`);
    }
    for (const p of file.peers) {
      roster.#index({ ...p, publicKey: fromHex(p.publicKey) });
    }
    return roster;
  }

  get size(): number {
    return this.#bySite.size;
  }

  get meshId(): Uint8Array {
    return this.#meshId;
  }

  list(): Peer[] {
    return [...this.#bySite.values()];
  }

  bySite(site: string): Peer | undefined {
    return this.#bySite.get(site);
  }

  byKey(publicKey: Uint8Array): Peer | undefined {
    return this.#byKey.get(toHex(publicKey));
  }

  /** Adds a peer; a site name or key already paired otherwise is a RosterError. */
  async add(peer: Peer): Promise<void> {
    const site = SiteName.safeParse(peer.site);
    if (!site.success) throw new RosterError(`${JSON.stringify(peer.site)} is not a site name`);
    const sameSite = this.#bySite.get(peer.site);
    const sameKey = this.#byKey.get(toHex(peer.publicKey));
    if (sameSite && toHex(sameSite.publicKey) !== toHex(peer.publicKey)) {
      throw new RosterError(
        `site ${peer.site} is already paired with another key: remove it first (troupe mesh forget)`,
      );
    }
    if (sameKey && sameKey.site !== peer.site) {
      throw new RosterError(`this key is already paired as site ${sameKey.site}`);
    }
    if (sameSite) this.#unindex(sameSite);
    this.#index(peer);
    await this.#persist();
  }

  /** Replaces a peer's endpoints (what it announced in its hello). */
  async setEndpoints(site: string, endpoints: readonly string[]): Promise<void> {
    const p = this.#bySite.get(site);
    if (!p) throw new UnknownPeerError(site);
    if (sameList(p.endpoints, endpoints)) return;
    this.#unindex(p);
    this.#index({ ...p, endpoints: [...endpoints] });
    await this.#persist();
  }

  async remove(site: string): Promise<Peer> {
    const p = this.#bySite.get(site);
    if (!p) throw new UnknownPeerError(site);
    this.#unindex(p);
    await this.#persist();
    return p;
  }

  /** A site with no peers may move to another mesh (it joins someone else's). */
  async adoptMesh(meshId: Uint8Array): Promise<void> {
    if (this.#bySite.size > 0) {
      throw new RosterError('a site with peers cannot move to another mesh');
    }
    this.#meshId = meshId.slice();
    await this.#persist();
  }

  #index(p: Peer): void {
    this.#bySite.set(p.site, p);
    this.#byKey.set(toHex(p.publicKey), p);
  }

  #unindex(p: Peer): void {
    this.#bySite.delete(p.site);
    this.#byKey.delete(toHex(p.publicKey));
  }

  /** Writes are chained so they land in order; each writes the roster as it is when it runs. */
  #persist(): Promise<void> {
    const next = this.#writing.then(() => this.#write());
    this.#writing = next.catch(() => {});
    return next;
  }

  async #write(): Promise<void> {
    const body = JSON.stringify(
      {
        version: 1,
        meshId: toHex(this.#meshId),
        peers: this.list().map((p) => ({
          site: p.site,
          publicKey: toHex(p.publicKey),
          endpoints: p.endpoints,
          dial: p.dial,
          addedAt: p.addedAt,
        })),
      },
      null,
      2,
    );
    try {
      await writeFileAtomic(this.#path, `${body}\n`);
    } catch (cause) {
      throw new RosterError(
        `could not persist the roster to ${this.#path}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
