import { TroupeError } from '../../runtime/index.ts';

/**
 * A shared task board: keys to JSON values, each write stamped with a revision that only grows.
 * Compare-and-set on the revision is the one way two writers agree: of all writers holding the
 * same revision, exactly one `update` wins; the others get RevisionConflictError and re-read.
 * The same semantics back it on JetStream KV (`natsBoard`) and in process (`memoryBoard`,
 * `fileBoard`).
 */
export interface BoardEntry<V = unknown> {
  readonly key: string;
  readonly value: V;
  /** Grows with every write to the board (not per key): a JetStream stream sequence on NATS. */
  readonly revision: number;
}

/** What a watcher sees: a put (with the value) or a delete. */
export type BoardChange =
  | { readonly op: 'put'; readonly key: string; readonly value: unknown; readonly revision: number }
  | { readonly op: 'del'; readonly key: string; readonly revision: number };

export interface Board {
  /** Where the board lives, for messages: `memory`, `file:<dir>`, `nats:<bucket>`. */
  readonly where: string;
  get<V = unknown>(key: string): Promise<BoardEntry<V> | null>;
  /** Unconditional write; returns the new revision. */
  put(key: string, value: unknown): Promise<number>;
  /** Write only if the key has no value; else RevisionConflictError. */
  create(key: string, value: unknown): Promise<number>;
  /** Write only if the key's current revision is `revision`; else RevisionConflictError. */
  update(key: string, value: unknown, revision: number): Promise<number>;
  delete(key: string): Promise<void>;
  /** Current entries whose key starts with `prefix`, by key. */
  list<V = unknown>(prefix?: string): Promise<BoardEntry<V>[]>;
  /**
   * Changes to keys under `prefix` from now on, in revision order, to `onChange`; the
   * returned function stops the watch. A callback that throws is logged away, never fatal.
   */
  watch(prefix: string, onChange: (c: BoardChange) => void): Promise<() => void>;
  close(): Promise<void>;
}

/** A compare-and-set lost: someone wrote the key since `expected` was read. */
export class RevisionConflictError extends TroupeError {
  readonly code = 'RevisionConflict';
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
    options?: ErrorOptions,
  ) {
    super(
      expected === 0
        ? `board key ${key} already exists (revision ${actual})`
        : `board key ${key} is at revision ${actual}, not ${expected}: re-read and retry`,
      options,
    );
  }
  override get detail(): unknown {
    return { key: this.key, expected: this.expected, actual: this.actual };
  }
}

/** The board cannot be reached or read (broker down, corrupt file). */
export class BoardError extends TroupeError {
  readonly code = 'BoardError';
}

/** Keys are dot-separated tokens, as JetStream KV accepts them. */
export const BOARD_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_=-]+)*$/;

/**
 * Read-modify-write with CAS, retried on conflict: `change` gets the current value (or null)
 * and returns the next one, or undefined to leave the key as it is. Bounded attempts.
 */
export async function modify<V>(
  board: Board,
  key: string,
  change: (current: V | null) => V | undefined,
  attempts = 50,
): Promise<BoardEntry<V> | null> {
  for (let i = 0; ; i++) {
    const cur = await board.get<V>(key);
    const next = change(cur === null ? null : cur.value);
    if (next === undefined) return cur;
    try {
      const revision =
        cur === null ? await board.create(key, next) : await board.update(key, next, cur.revision);
      return { key, value: next, revision };
    } catch (err) {
      if (!(err instanceof RevisionConflictError) || i + 1 >= attempts) throw err;
    }
  }
}
