// The embedded audit stream: the same sequence semantics as the JetStream stream (from 1, no
// holes, dedupe by message id within a window, durable before the append resolves).
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LocalStreamClosedError,
  LocalStreamCorruptError,
  LocalStreamLockedError,
  LocalStreamPayloadError,
  openLocalStream,
} from '../../actors/ledger/index.ts';
import { InvalidArgument } from '../../runtime/index.ts';

const base = mkdtempSync(join(tmpdir(), 'troupe-local-stream-'));
let n = 0;
const fresh = () => join(base, `s${++n}`);
afterAll(() => rmSync(base, { recursive: true, force: true }));

const bytes = (s: string) => new TextEncoder().encode(s);
const NAME = 'TROUPE_AUDIT_test';

describe('local audit stream', () => {
  it('numbers messages from 1, reads them back by fetch and get, and keeps them across a reopen', async () => {
    const dir = fresh();
    const s = await openLocalStream(dir, { name: NAME });
    const acks = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        s.append(`troupe.test.audit.n.a${i}`, bytes(`m${i}`), `id-${i}`),
      ),
    );
    expect(acks.map((a) => a.seq)).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(acks.every((a) => !a.duplicate)).toBe(true);
    const got = await s.fetch(2n, 10, 0);
    expect(got.map((r) => r.seq)).toEqual([2n, 3n, 4n, 5n]);
    expect(got[0]).toMatchObject({ subject: 'troupe.test.audit.n.a1', msgId: 'id-1' });
    expect(new TextDecoder().decode(got[0]!.payload)).toBe('m1');
    const ts = got.map((r) => r.timestampNs);
    expect([...ts].sort((a, b) => (a < b ? -1 : 1))).toEqual(ts);
    expect(await s.get(3n)).toEqual(got[1]);
    expect(await s.get(0n)).toBeUndefined();
    expect(await s.get(6n)).toBeUndefined();
    await s.close();
    const again = await openLocalStream(dir, { name: NAME });
    expect(await again.lastSeq()).toBe(5n);
    expect(await again.get(3n)).toEqual(got[1]);
    expect((await again.append('troupe.test.audit.n.a', bytes('x'), 'id-9')).seq).toBe(6n);
    await again.close();
  });

  it('returns the first copy for a message id within the duplicate window, a new message after it', async () => {
    let now = 1_750_000_000_000;
    const dir = fresh();
    const s = await openLocalStream(dir, { name: NAME, duplicateWindowMs: 1000, now: () => now });
    expect(await s.append('troupe.test.audit.n.a', bytes('a'), 'same')).toEqual({
      seq: 1n,
      duplicate: false,
    });
    const [x, y] = await Promise.all([
      s.append('troupe.test.audit.n.a', bytes('a'), 'same'),
      s.append('troupe.test.audit.n.a', bytes('b'), 'other'),
    ]);
    expect(x).toEqual({ seq: 1n, duplicate: true });
    expect(y).toEqual({ seq: 2n, duplicate: false });
    // Inside one group commit, too.
    const [p, q] = await Promise.all([
      s.append('troupe.test.audit.n.a', bytes('c'), 'twice'),
      s.append('troupe.test.audit.n.a', bytes('c'), 'twice'),
    ]);
    expect(p).toEqual({ seq: 3n, duplicate: false });
    expect(q).toEqual({ seq: 3n, duplicate: true });
    await s.close();
    // The window survives a reopen (rebuilt from the log's timestamps) ...
    const r = await openLocalStream(dir, { name: NAME, duplicateWindowMs: 1000, now: () => now });
    expect(await r.append('troupe.test.audit.n.a', bytes('a'), 'same')).toEqual({
      seq: 1n,
      duplicate: true,
    });
    // ... and ends: a retry after it is a new message (the ledger flags it).
    now += 1500;
    expect(await r.append('troupe.test.audit.n.a', bytes('a'), 'same')).toEqual({
      seq: 4n,
      duplicate: false,
    });
    await r.close();
  });

  it('wakes a waiting fetch when a message arrives, and gives up after the wait', async () => {
    const s = await openLocalStream(fresh(), { name: NAME });
    const t0 = Date.now();
    expect(await s.fetch(1n, 10, 50)).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    const waiting = s.fetch(1n, 10, 10_000);
    await s.append('troupe.test.audit.n.a', bytes('late'), 'l');
    expect((await waiting).map((r) => r.seq)).toEqual([1n]);
    await s.close();
  });

  it('cuts a torn append on open and keeps every whole message', async () => {
    const dir = fresh();
    const s = await openLocalStream(dir, { name: NAME });
    for (let i = 0; i < 3; i++) await s.append('troupe.test.audit.n.a', bytes(`m${i}`), `t-${i}`);
    await s.close();
    const log = join(dir, 'stream.log');
    const whole = statSync(log).size;
    appendFileSync(log, Buffer.from([0, 0, 0, 90, 1, 2, 3])); // half a record
    const r = await openLocalStream(dir, { name: NAME });
    expect(r.truncatedBytes).toBe(7);
    expect(statSync(log).size).toBe(whole);
    expect(await r.lastSeq()).toBe(3n);
    expect((await r.append('troupe.test.audit.n.a', bytes('next'), 't-3')).seq).toBe(4n);
    await r.close();
  });

  it('refuses a folder damaged far from its end, another stream, a second writer (typed)', async () => {
    const dir = fresh();
    const s = await openLocalStream(dir, { name: NAME });
    await expect(openLocalStream(dir, { name: NAME })).rejects.toBeInstanceOf(
      LocalStreamLockedError,
    );
    const big = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 18; i++) await s.append('troupe.test.audit.n.a', big, `b-${i}`);
    await s.close();
    // Reopened, it reads the log in blocks across the 8 MiB boundary.
    const whole = await openLocalStream(dir, { name: NAME });
    expect(await whole.lastSeq()).toBe(18n);
    expect((await whole.get(18n))?.payload.length).toBe(1024 * 1024);
    await whole.close();
    await expect(openLocalStream(dir, { name: 'TROUPE_AUDIT_other' })).rejects.toBeInstanceOf(
      LocalStreamCorruptError,
    );
    const log = join(dir, 'stream.log');
    const buf = readFileSync(log);
    buf[100] = buf[100]! ^ 0xff; // inside message 1, 18 MiB before the end
    writeFileSync(log, buf);
    await expect(openLocalStream(dir, { name: NAME })).rejects.toBeInstanceOf(
      LocalStreamCorruptError,
    );
    const marker = fresh();
    const m = await openLocalStream(marker, { name: NAME });
    await m.close();
    writeFileSync(join(marker, 'STREAM'), 'something else\n');
    await expect(openLocalStream(marker, { name: NAME })).rejects.toBeInstanceOf(
      LocalStreamCorruptError,
    );
  });

  it('gives typed errors for bad input and after close', async () => {
    await expect(openLocalStream(fresh(), { name: 'bad name' })).rejects.toBeInstanceOf(
      InvalidArgument,
    );
    await expect(
      openLocalStream(fresh(), { name: NAME, duplicateWindowMs: -1 }),
    ).rejects.toBeInstanceOf(InvalidArgument);
    await expect(
      openLocalStream(fresh(), { name: NAME, extra: 1 } as unknown as { name: string }),
    ).rejects.toBeInstanceOf(InvalidArgument);
    await expect(openLocalStream('', { name: NAME })).rejects.toBeInstanceOf(InvalidArgument);
    const s = await openLocalStream(fresh(), { name: NAME, maxPayload: 1024 });
    await expect(s.append('', bytes('x'))).rejects.toBeInstanceOf(InvalidArgument);
    await expect(s.append('troupe.x', 'text' as unknown as Uint8Array)).rejects.toBeInstanceOf(
      InvalidArgument,
    );
    await expect(s.append('troupe.x', new Uint8Array(2048))).rejects.toBeInstanceOf(
      LocalStreamPayloadError,
    );
    await expect(s.fetch(0n, 1, 0)).rejects.toBeInstanceOf(InvalidArgument);
    await expect(s.fetch(1n, 0, 0)).rejects.toBeInstanceOf(InvalidArgument);
    await s.close();
    await expect(s.append('troupe.x', bytes('x'))).rejects.toBeInstanceOf(LocalStreamClosedError);
    await expect(s.fetch(1n, 1, 0)).rejects.toBeInstanceOf(LocalStreamClosedError);
  });
});
