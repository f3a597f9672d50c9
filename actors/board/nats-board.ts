import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { type KV, type KvEntry, Kvm, KvWatchInclude } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { InvalidArgument } from '../../runtime/index.ts';
import {
  type Board,
  type BoardChange,
  type BoardEntry,
  BoardError,
  RevisionConflictError,
} from './board.ts';
import { checkKey, checkPrefix } from './local-board.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

function encode(value: unknown): Uint8Array {
  if (value === undefined) throw new InvalidArgument('board value must not be undefined');
  return enc.encode(JSON.stringify(value));
}

function decode(e: KvEntry): unknown {
  return JSON.parse(dec.decode(e.value)) as unknown;
}

function isWrongLastSeq(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * The board on a JetStream KV bucket. Works on nats-server 2.9.10: no key TTL (the server
 * ignores it there), one filter subject per watch, no bucket metadata. Revisions are the
 * bucket stream's sequence numbers; CAS is the server's expected-last-subject-sequence check.
 */
class NatsBoard implements Board {
  readonly where: string;
  constructor(
    private readonly kv: KV,
    bucket: string,
  ) {
    this.where = `nats:${bucket}`;
  }

  async get<V>(key: string): Promise<BoardEntry<V> | null> {
    checkKey(key);
    let e: KvEntry | null;
    try {
      e = await this.kv.get(key);
    } catch (cause) {
      throw new BoardError(`cannot read ${key} from ${this.where}`, { cause });
    }
    if (e === null || e.operation !== 'PUT') return null;
    return { key, value: decode(e) as V, revision: e.revision };
  }

  async put(key: string, value: unknown): Promise<number> {
    checkKey(key);
    return this.kv.put(key, encode(value));
  }

  async create(key: string, value: unknown): Promise<number> {
    checkKey(key);
    try {
      return await this.kv.create(key, encode(value));
    } catch (err) {
      if (!isWrongLastSeq(err)) throw new BoardError(`cannot create ${key}`, { cause: err });
      const cur = await this.kv.get(key).catch(() => null);
      throw new RevisionConflictError(key, 0, cur?.revision ?? 0, { cause: err });
    }
  }

  async update(key: string, value: unknown, revision: number): Promise<number> {
    checkKey(key);
    if (!Number.isSafeInteger(revision) || revision < 1) {
      throw new InvalidArgument(`revision must be a positive integer (got ${String(revision)})`);
    }
    try {
      return await this.kv.update(key, encode(value), revision);
    } catch (err) {
      if (!isWrongLastSeq(err)) throw new BoardError(`cannot update ${key}`, { cause: err });
      const cur = await this.kv.get(key).catch(() => null);
      throw new RevisionConflictError(key, revision, cur?.revision ?? 0, { cause: err });
    }
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.kv.delete(key);
  }

  async list<V>(prefix = ''): Promise<BoardEntry<V>[]> {
    const p = checkPrefix(prefix);
    const keys: string[] = [];
    for await (const k of await this.kv.keys(p === '' ? '>' : `${p}>`)) keys.push(k);
    keys.sort();
    const out: BoardEntry<V>[] = [];
    for (const k of keys) {
      const e = await this.get<V>(k);
      if (e !== null) out.push(e);
    }
    return out;
  }

  async watch(prefix: string, onChange: (c: BoardChange) => void): Promise<() => void> {
    const p = checkPrefix(prefix);
    if (typeof onChange !== 'function') throw new InvalidArgument('watch needs a callback');
    const it = await this.kv.watch({
      key: p === '' ? '>' : `${p}>`,
      include: KvWatchInclude.UpdatesOnly,
    });
    void (async () => {
      try {
        for await (const e of it) {
          const c: BoardChange =
            e.operation === 'PUT'
              ? { op: 'put', key: e.key, value: decode(e), revision: e.revision }
              : { op: 'del', key: e.key, revision: e.revision };
          try {
            onChange(c);
          } catch {
            // A watcher's bug must not end the watch (nor the connection's read loop).
          }
        }
      } catch {
        // The connection closed: the watch ends with it.
      }
    })();
    return () => it.stop();
  }

  async close(): Promise<void> {}
}

/** Bucket names: a stream name, so no dots. */
const BUCKET = /^[A-Za-z0-9_-]{1,64}$/;

/** Open (or create) the board on bucket `bucket` of the JetStream behind `nc`. */
export async function natsBoard(
  nc: NatsConnection,
  bucket: string,
  opts: { history?: number; replicas?: number } = {},
): Promise<Board> {
  if (!BUCKET.test(bucket)) {
    throw new InvalidArgument(`board bucket must be 1-64 of A-Z a-z 0-9 _ - (got ${bucket})`);
  }
  let kv: KV;
  try {
    kv = await new Kvm(nc).create(bucket, {
      history: opts.history ?? 1,
      replicas: opts.replicas ?? 1,
    });
  } catch (cause) {
    throw new BoardError(`cannot open KV bucket ${bucket}`, { cause });
  }
  return new NatsBoard(kv, bucket);
}
