import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ActorRef,
  defineActor,
  NoSuchActor,
  PayloadTooLarge,
  Rejected,
  Timeout,
} from '../../index.ts';
import { Hop, Recorder, type Worker } from '../support/defs.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { eventually, spawnTs, stopChild } from '../support/processes.ts';
import { natsNodes } from '../support/test-systems.ts';

const nats = natsNodes('it');
const node = (name: string, srv?: NatsServer) =>
  nats.node(name, srv ? { transport: srv.transport } : {});

type RecorderP = NonNullable<(typeof Recorder)['__protocol']>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('over NATS', () => {
  it('tells and asks between two connections, in order per sender', async () => {
    const a = await node('a');
    const b = await node('b');
    a.spawn(Recorder, { name: 'rec' });
    await a.flush();
    const rec: ActorRef<RecorderP> = { system: 'it', path: 'rec' };
    for (let i = 0; i < 2000; i++) {
      b.tell(rec, 'note', { seq: i });
      if (i % 300 === 0) await sleep(1);
    }
    const echo = await b.ask(rec, 'echo', { text: 'hi' }, { timeout: 2000 });
    expect(echo).toEqual({ text: 'hi', by: 'a/rec' });
    const seen = await b.ask(rec, 'seen', {}, { timeout: 2000 });
    expect(seen.map((s) => s.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it('NoSuchActor at once when nobody serves the subject', async () => {
    const b = await node('b');
    const t0 = Date.now();
    const err = await b
      .ask({ system: 'it', path: 'ghost' }, 'x', {}, { timeout: 10_000 })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(NoSuchActor);
    expect(Date.now() - t0).toBeLessThan(500);
    const err2 = await b
      .ask({ system: 'it', shard: 'nobody' }, 'x', {}, { timeout: 10_000 })
      .catch((e: Error) => e);
    expect(err2).toBeInstanceOf(NoSuchActor);
  });

  it('brings typed errors back across the wire', async () => {
    const a = await node('a');
    const b = await node('b');
    a.spawn(Recorder, { name: 'rec' });
    await a.flush();
    const err = await b
      .ask({ system: 'it', path: 'rec' } as ActorRef<RecorderP>, 'echo', { text: 7 } as never, {
        timeout: 2000,
      })
      .catch((e: Rejected) => e);
    expect(err).toBeInstanceOf(Rejected);
    expect((err as Rejected).issues[0]).toMatchObject({ path: ['text'], code: 'invalid_type' });
  });

  it('carries the deadline across three hops in three processes’ worth of connections', async () => {
    const [a, b, c] = [await node('a'), await node('b'), await node('c')];
    c.spawn(Hop, { name: 'h3', args: null });
    b.spawn(Hop, { name: 'h2', args: 'h3' });
    a.spawn(Hop, { name: 'h1', args: 'h2' });
    await Promise.all([a.flush(), b.flush(), c.flush()]);
    const client = await node('client');
    const h1: ActorRef<NonNullable<(typeof Hop)['__protocol']>> = { system: 'it', path: 'h1' };
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const r = await client.ask(h1, 'go', { sleepMs: 0 }, { timeout: 3000, traceparent: tp });
    expect(new Set(r.deadlines).size).toBe(1);
    expect(r.deadlines[0]).toBeGreaterThan(Date.now());
    // Same trace id at every hop, a new span each time.
    for (const t of r.traces) expect(t?.slice(0, 35)).toBe(tp.slice(0, 35));
    expect(new Set(r.traces).size).toBe(3);
    const t0 = Date.now();
    await expect(client.ask(h1, 'go', { sleepMs: 2000 }, { timeout: 300 })).rejects.toBeInstanceOf(
      Timeout,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('checks the size against max_payload before publishing', async () => {
    const small = await startNatsServer({ maxPayload: 4096, jetstream: false });
    const a = await node('a', small);
    const b = await node('b', small);
    a.spawn(Recorder, { name: 'rec' });
    await a.flush();
    const rec: ActorRef<RecorderP> = { system: 'it', path: 'rec' };
    expect(() => b.tell(rec, 'big', { data: 'x'.repeat(5000) })).toThrow(PayloadTooLarge);
    const err = await b
      .ask(rec, 'echo', { text: 'y'.repeat(5000) }, { timeout: 1000 })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(PayloadTooLarge);
    expect((err as PayloadTooLarge).max).toBe(4096);
    b.tell(rec, 'note', { seq: 1 });
    const seen = await b.ask(rec, 'seen', {}, { timeout: 1000 });
    expect(seen.map((s) => s.seq)).toEqual([1]);
  });

  it('watches an actor on another node', async () => {
    const Watcher = defineActor({
      type: 'watcher',
      state: () => ({ got: [] as string[] }),
      tells: { watch: z.object({ path: z.string() }) },
      asks: { got: { request: z.object({}), reply: z.array(z.string()) } },
      handle: {
        watch: (_s, m, ctx) => ctx.watch({ system: ctx.system, path: m.path }),
        got: (s, _m, ctx) => ctx.reply(s.got),
      },
      onTerminated: (s, t) => {
        s.got.push(`${t.ref.path}:${t.reason}`);
      },
    });
    const a = await node('a');
    const b = await node('b');
    const target = a.spawn(Recorder, { name: 'target' });
    const w = b.spawn(Watcher, { name: 'w' });
    await a.flush();
    b.tell(w, 'watch', { path: 'target' });
    b.tell(w, 'watch', { path: 'missing' });
    await sleep(200);
    await a.stop(target);
    const got = await eventually(async () => {
      const g = await b.ask(w, 'got', {}, { timeout: 500 });
      if (g.length < 2) throw new Error('not yet');
      return g;
    });
    expect(got.sort()).toEqual(['missing:noSuchActor', 'target:stopped']);
  });

  it('spreads a sharded type over two processes', async () => {
    const { url, user, pass } = nats.server;
    const hosts = await Promise.all(
      ['w1', 'w2'].map((n) => spawnTs('test/support/worker-host.ts', [url, user, pass, 'it', n])),
    );
    try {
      const client = await node('client');
      const ref = { system: 'it', shard: 'worker' } as const;
      const counts = new Map<string, number>();
      for (let round = 0; round < 40; round++) {
        const who = await Promise.all(
          Array.from({ length: 5 }, () =>
            client.ask<NonNullable<(typeof Worker)['__protocol']>, 'hit'>(
              ref,
              'hit',
              {},
              { timeout: 2000 },
            ),
          ),
        );
        for (const w of who) counts.set(w, (counts.get(w) ?? 0) + 1);
      }
      expect([...counts.keys()].sort()).toEqual(['w1', 'w2']);
      for (const n of counts.values()) expect(n).toBeGreaterThan(40);
    } finally {
      await Promise.all(hosts.map((h) => stopChild(h)));
    }
  });
});

describe('broker restart', () => {
  it('delivers traffic after the nats-server restarts mid-traffic', async () => {
    const srv = await startNatsServer({ jetstream: false });
    const a = await node('a', srv);
    const b = await node('b', srv);
    a.spawn(Recorder, { name: 'rec' });
    await a.flush();
    const rec: ActorRef<RecorderP> = { system: 'it', path: 'rec' };
    let seq = 0;
    let sending = true;
    const sender = (async () => {
      while (sending) {
        b.tell(rec, 'note', { seq: seq++ });
        await sleep(2);
      }
    })();
    await sleep(200);
    await srv.restart();
    // Both sides reconnect on their own; wait until an ask gets through again.
    await eventually(() => b.ask(rec, 'echo', { text: 'back' }, { timeout: 300 }), 15_000);
    const firstAfter = seq;
    await sleep(300);
    sending = false;
    await sender;
    const lastSent = seq - 1;
    const seen = (await b.ask(rec, 'seen', {}, { timeout: 2000 })).map((s) => s.seq);
    const after = seen.filter((s) => s >= firstAfter);
    expect(after).toEqual(
      Array.from({ length: lastSent - firstAfter + 1 }, (_, i) => firstAfter + i),
    );
    // Order holds across the outage for everything that arrived.
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
  });
});
