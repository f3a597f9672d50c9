import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Board,
  type BoardChange,
  fileBoard,
  memoryBoard,
  modify,
  natsBoard,
  RevisionConflictError,
} from '../../actors/board/index.ts';
import { InvalidArgument } from '../../runtime/index.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { eventually } from '../support/processes.ts';

const until = (cond: () => boolean): Promise<void> =>
  eventually(async () => {
    if (!cond()) throw new Error('condition not met in time');
  });

let server: NatsServer;
let nc: NatsConnection;
const dirs: string[] = [];
let buckets = 0;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, user: server.user, pass: server.pass });
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await stopAllNatsServers();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'troupe-board-'));
  dirs.push(d);
  return d;
}

const backends: [string, () => Promise<Board>][] = [
  ['memory', async () => memoryBoard()],
  ['file', async () => fileBoard(tmp())],
  ['nats', async () => natsBoard(nc, `board_${++buckets}`)],
];

describe.each(backends)('board on %s', (_name, open) => {
  it('creates, updates by revision, refuses a stale revision, deletes', async () => {
    const b = await open();
    const r1 = await b.create('tasks.t1', { status: 'open' });
    await expect(b.create('tasks.t1', { status: 'x' })).rejects.toBeInstanceOf(
      RevisionConflictError,
    );
    const r2 = await b.update('tasks.t1', { status: 'taken' }, r1);
    expect(r2).toBeGreaterThan(r1);
    const stale = await b.update('tasks.t1', { status: 'again' }, r1).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(RevisionConflictError);
    expect((stale as RevisionConflictError).actual).toBe(r2);
    expect(await b.get('tasks.t1')).toEqual({
      key: 'tasks.t1',
      value: { status: 'taken' },
      revision: r2,
    });
    await b.put('tasks.t2', [1, 2]);
    await b.put('other.x', 'y');
    expect((await b.list('tasks.')).map((e) => e.key)).toEqual(['tasks.t1', 'tasks.t2']);
    await b.delete('tasks.t1');
    expect(await b.get('tasks.t1')).toBeNull();
    await b.close();
  });

  it('rejects bad keys, prefixes and revisions with InvalidArgument', async () => {
    const b = await open();
    await expect(b.get('bad key')).rejects.toBeInstanceOf(InvalidArgument);
    await expect(b.put('a..b', 1)).rejects.toBeInstanceOf(InvalidArgument);
    await expect(b.update('a', 1, 0)).rejects.toBeInstanceOf(InvalidArgument);
    await expect(b.list('tasks')).rejects.toBeInstanceOf(InvalidArgument);
    await expect(b.put('a', undefined)).rejects.toBeInstanceOf(InvalidArgument);
    await b.close();
  });

  it('watch reports puts and deletes under a prefix in revision order', async () => {
    const b = await open();
    const seen: BoardChange[] = [];
    const stop = await b.watch('jobs.', (c) => seen.push(c));
    const r1 = await b.put('jobs.a', 1);
    await b.put('elsewhere.b', 2);
    const r2 = await b.put('jobs.a', 3);
    await b.delete('jobs.a');
    await until(() => seen.length >= 2 && seen.at(-1)?.op === 'del');
    stop();
    const puts = seen.filter((c) => c.op === 'put');
    expect(puts.every((c) => c.key === 'jobs.a')).toBe(true);
    expect(puts.at(-1)).toEqual({ op: 'put', key: 'jobs.a', value: 3, revision: r2 });
    expect(puts[0]!.revision).toBeGreaterThanOrEqual(r1);
    expect(seen.at(-1)).toMatchObject({ op: 'del', key: 'jobs.a' });
    await b.close();
  });

  it('concurrent CAS writers: exactly one wins per revision (property)', async () => {
    const b = await open();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        async (writers, rounds) => {
          const key = `cas.k${++n}`;
          let rev = await b.create(key, { owner: 'none', round: 0 });
          for (let round = 1; round <= rounds; round++) {
            const results = await Promise.allSettled(
              Array.from({ length: writers }, (_, w) =>
                b.update(key, { owner: `w${w}`, round }, rev),
              ),
            );
            const wins = results.filter((r) => r.status === 'fulfilled');
            const losses = results.filter((r) => r.status === 'rejected');
            expect(wins).toHaveLength(1);
            for (const l of losses)
              expect((l as PromiseRejectedResult).reason).toBeInstanceOf(RevisionConflictError);
            const now = await b.get<{ owner: string; round: number }>(key);
            expect(now!.revision).toBe((wins[0] as PromiseFulfilledResult<number>).value);
            expect(now!.value.round).toBe(round);
            rev = now!.revision;
          }
        },
      ),
      { numRuns: 15 },
    );
    await b.close();
  }, 60_000);

  it('modify retries lost races until every increment lands', async () => {
    const b = await open();
    await Promise.all(
      Array.from({ length: 10 }, () => modify<number>(b, 'counter.c', (v) => (v ?? 0) + 1)),
    );
    expect((await b.get('counter.c'))!.value).toBe(10);
    await b.close();
  }, 30_000);
});

describe('file board across handles', () => {
  it('two handles on one folder (as two processes) keep CAS exact and see each other', async () => {
    const dir = tmp();
    const a = fileBoard(dir);
    const b = fileBoard(dir);
    const seen: BoardChange[] = [];
    const stop = await b.watch('', (c) => seen.push(c));
    const r = await a.create('x', 1);
    const [ra, rb] = await Promise.allSettled([a.update('x', 2, r), b.update('x', 3, r)]);
    expect([ra.status, rb.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
    await until(() => seen.some((c) => c.op === 'put' && c.key === 'x'));
    stop();
    expect((await a.get('x'))!.value).toEqual((await b.get('x'))!.value);
    await a.close();
    await b.close();
  });
});
