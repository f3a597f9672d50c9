import { InvalidArgument } from '../../runtime/index.ts';
import {
  BOARD_KEY,
  type Board,
  type BoardChange,
  type BoardEntry,
  RevisionConflictError,
} from './board.ts';

/** The whole board as plain data: what a file holds and what watchers diff. */
export interface BoardImage {
  revision: number;
  entries: Record<string, { value: unknown; revision: number }>;
}

/** Where a local board keeps its image between operations (memory, or a locked file). */
export interface ImageStore {
  readonly where: string;
  /** The current image, or null to keep the one in memory (nothing changed elsewhere). */
  load(): Promise<BoardImage | null>;
  /** Run `write` holding the store's lock, with the freshest image; persist what it returns. */
  transact<T>(write: (img: BoardImage) => { img: BoardImage; result: T }): Promise<T>;
  /** Call `onExternal` when another process may have changed the image. */
  follow(onExternal: () => void): () => void;
  close(): Promise<void>;
}

export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || !BOARD_KEY.test(key) || key.length > 512) {
    throw new InvalidArgument(
      `board key must be dot-separated tokens of A-Z a-z 0-9 _ - (got ${JSON.stringify(key)})`,
    );
  }
  return key;
}

export function checkPrefix(prefix: unknown): string {
  if (prefix === '') return '';
  if (typeof prefix !== 'string' || !prefix.endsWith('.')) {
    throw new InvalidArgument(
      `a board prefix is '' or whole tokens ending in '.' (got ${JSON.stringify(prefix)})`,
    );
  }
  checkKey(prefix.slice(0, -1));
  return prefix;
}

function checkValue(value: unknown): unknown {
  if (value === undefined) throw new InvalidArgument('board value must not be undefined');
  // Values cross processes as JSON: what goes in is what any reader gets back.
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/**
 * The in-process board: one image, writes applied in order, watchers told of each change.
 * Behind it an ImageStore says where the image lives; CAS is decided inside the store's lock.
 */
export class LocalBoard implements Board {
  private img: BoardImage = { revision: 0, entries: Object.create(null) };
  private readonly watchers = new Set<{ prefix: string; fn: (c: BoardChange) => void }>();
  private unfollow: (() => void) | null = null;
  private closed = false;

  constructor(private readonly store: ImageStore) {}

  get where(): string {
    return this.store.where;
  }

  private async fresh(): Promise<BoardImage> {
    const img = await this.store.load();
    if (img !== null && img.revision !== this.img.revision) this.advance(img);
    return this.img;
  }

  /** Move to a newer image and tell watchers what changed, in revision order. */
  private advance(next: BoardImage): void {
    const prev = this.img;
    if (next.revision <= prev.revision) return;
    this.img = next;
    if (this.watchers.size === 0) return;
    const changes: BoardChange[] = [];
    for (const [key, e] of Object.entries(next.entries)) {
      if (e.revision > prev.revision)
        changes.push({ op: 'put', key, value: e.value, revision: e.revision });
    }
    for (const key of Object.keys(prev.entries)) {
      if (next.entries[key] === undefined)
        changes.push({ op: 'del', key, revision: next.revision });
    }
    changes.sort((a, b) => a.revision - b.revision);
    for (const c of changes) this.tell(c);
  }

  private tell(c: BoardChange): void {
    for (const w of this.watchers) {
      if (!c.key.startsWith(w.prefix)) continue;
      try {
        w.fn(c);
      } catch {
        // A watcher's bug must not stop the board or the other watchers.
      }
    }
  }

  async get<V>(key: string): Promise<BoardEntry<V> | null> {
    checkKey(key);
    const e = (await this.fresh()).entries[key];
    return e === undefined ? null : { key, value: e.value as V, revision: e.revision };
  }

  private async write(
    key: string,
    op: { value: unknown } | null,
    expect: number | 'any',
  ): Promise<number> {
    checkKey(key);
    const v = op === null ? null : { value: checkValue(op.value) };
    return await this.store
      .transact((img) => {
        const actual = img.entries[key]?.revision ?? 0;
        if (expect !== 'any' && expect !== actual) {
          throw new RevisionConflictError(key, expect, actual);
        }
        const revision = img.revision + 1;
        const entries = { ...img.entries };
        if (v === null) delete entries[key];
        else entries[key] = { value: v.value, revision };
        return { img: { revision, entries }, result: revision };
      })
      .then(async (rev) => {
        await this.fresh();
        return rev;
      });
  }

  put(key: string, value: unknown): Promise<number> {
    return this.write(key, { value }, 'any');
  }
  create(key: string, value: unknown): Promise<number> {
    return this.write(key, { value }, 0);
  }
  update(key: string, value: unknown, revision: number): Promise<number> {
    if (!Number.isSafeInteger(revision) || revision < 1) {
      return Promise.reject(
        new InvalidArgument(`revision must be a positive integer (got ${String(revision)})`),
      );
    }
    return this.write(key, { value }, revision);
  }
  async delete(key: string): Promise<void> {
    await this.write(key, null, 'any');
  }

  async list<V>(prefix = ''): Promise<BoardEntry<V>[]> {
    checkPrefix(prefix);
    const img = await this.fresh();
    return Object.keys(img.entries)
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((key) => ({
        key,
        value: img.entries[key]!.value as V,
        revision: img.entries[key]!.revision,
      }));
  }

  async watch(prefix: string, onChange: (c: BoardChange) => void): Promise<() => void> {
    checkPrefix(prefix);
    if (typeof onChange !== 'function') throw new InvalidArgument('watch needs a callback');
    await this.fresh();
    const w = { prefix, fn: onChange };
    this.watchers.add(w);
    this.unfollow ??= this.store.follow(() => {
      if (!this.closed) void this.fresh().catch(() => {});
    });
    return () => {
      this.watchers.delete(w);
      if (this.watchers.size === 0 && this.unfollow) {
        this.unfollow();
        this.unfollow = null;
      }
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watchers.clear();
    this.unfollow?.();
    this.unfollow = null;
    await this.store.close();
  }
}
