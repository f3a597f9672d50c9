import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ActorFailed,
  type ActorRef,
  ActorSystem,
  defineActor,
  InvalidArgument,
  MailboxFull,
  NoReply,
  NoSuchActor,
  Rejected,
  type RuntimeEvent,
  Stopped,
  Timeout,
} from '../../index.ts';
import { shardMember } from '../support/defs.ts';
import { Stuck, type StuckP } from '../support/stuck.ts';
import { testSystems } from '../support/test-systems.ts';

const { start } = testSystems({ name: 'test' });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const Counter = defineActor({
  type: 'counter',
  state: (start: number | void) => ({ count: start ?? 0 }),
  tells: { add: z.object({ n: z.number().int() }), boom: z.object({}) },
  asks: {
    get: { request: z.object({}), reply: z.number() },
    slowGet: { request: z.object({ ms: z.number() }), reply: z.number() },
  },
  handle: {
    add: (s, m) => ({ count: s.count + m.n }),
    boom: () => {
      throw new Error('boom');
    },
    get: (s, _m, ctx) => ctx.reply(s.count),
    async slowGet(s, m, ctx) {
      await sleep(m.ms);
      ctx.reply(s.count);
    },
  },
});

describe('tell and ask', () => {
  it('delivers tells in order and answers asks with the state', async () => {
    const sys = await start();
    const c = sys.spawn(Counter, { name: 'c', args: 5 });
    for (let i = 1; i <= 10; i++) sys.tell(c, 'add', { n: i });
    expect(await sys.ask(c, 'get', {}, { timeout: 1000 })).toBe(60);
    expect(sys.lookup('c')).toEqual({ system: 'test', path: 'c' });
    expect(JSON.parse(JSON.stringify(c))).toEqual({ system: 'test', path: 'c' });
  });

  it('runs one message at a time even when handlers are async', async () => {
    let active = 0;
    let maxActive = 0;
    const Slow = defineActor({
      type: 'slow',
      state: () => ({ done: 0 }),
      tells: { work: z.object({}) },
      asks: { done: { request: z.object({}), reply: z.number() } },
      handle: {
        async work(s) {
          active++;
          maxActive = Math.max(maxActive, active);
          await sleep(2);
          active--;
          return { done: s.done + 1 };
        },
        done: (s, _m, ctx) => ctx.reply(s.done),
      },
    });
    const sys = await start();
    const a = sys.spawn(Slow);
    for (let i = 0; i < 20; i++) sys.tell(a, 'work', {});
    expect(await sys.ask(a, 'done', {}, { timeout: 5000 })).toBe(20);
    expect(maxActive).toBe(1);
  });

  it('keeps each sender’s order when many senders interleave (property)', async () => {
    const Recorder = defineActor({
      type: 'recorder',
      state: () => ({ seen: [] as [string, number][] }),
      tells: { note: z.object({ from: z.string(), seq: z.number() }) },
      asks: { seen: { request: z.object({}), reply: z.array(z.tuple([z.string(), z.number()])) } },
      handle: {
        note(s, m) {
          s.seen.push([m.from, m.seq]);
        },
        seen: (s, _m, ctx) => ctx.reply(s.seen),
      },
    });
    const Sender = defineActor({
      type: 'sender',
      state: (to: ActorRef) => ({ to }),
      tells: { burst: z.object({ n: z.number() }) },
      handle: {
        async burst(s, m, ctx) {
          for (let i = 0; i < m.n; i++) {
            ctx.tell(s.to, 'note', { from: ctx.self.path, seq: i });
            if (i % 7 === 3) await Promise.resolve();
          }
        },
      },
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        async (bursts) => {
          const sys = await start();
          const rec = sys.spawn(Recorder, { name: 'rec' });
          bursts.forEach((n, i) => {
            const s = sys.spawn(Sender, { name: `s${i}`, args: rec });
            sys.tell(s, 'burst', { n });
          });
          await sys.whenQuiescent();
          const seen = await sys.ask(rec, 'seen', {}, { timeout: 2000 });
          expect(seen).toHaveLength(bursts.reduce((a, b) => a + b, 0));
          const last = new Map<string, number>();
          for (const [from, seq] of seen) {
            expect(seq).toBe((last.get(from) ?? -1) + 1);
            last.set(from, seq);
          }
          await sys.shutdown();
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('typed errors', () => {
  it('Timeout when no reply comes before the deadline', async () => {
    const sys = await start();
    const c = sys.spawn(Counter);
    const t0 = Date.now();
    const err = await sys.ask(c, 'slowGet', { ms: 300 }, { timeout: 50 }).catch((e) => e);
    expect(err).toBeInstanceOf(Timeout);
    expect(err.code).toBe('Timeout');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(49);
    expect(Date.now() - t0).toBeLessThan(250);
  });

  it('NoSuchActor at once, never a timeout', async () => {
    const sys = await start();
    const t0 = Date.now();
    const err = await sys
      .ask({ system: 'test', path: 'nobody/here' }, 'get', {}, { timeout: 10_000 })
      .catch((e: NoSuchActor) => e);
    expect(err).toBeInstanceOf(NoSuchActor);
    expect((err as NoSuchActor).target).toBe('nobody/here');
    expect(Date.now() - t0).toBeLessThan(100);
  });

  it('Rejected with the zod issue for a schema violation', async () => {
    const sys = await start();
    const c = sys.spawn(Counter);
    const err = await sys.ask(c, 'get', { extra: 1, n: 'x' } as never, { timeout: 1000 }).then(
      () => null,
      (e) => e,
    );
    // z.object strips unknown keys, so `get` with extras passes; an invalid ask body fails:
    expect(err).toBeNull();
    const bad = await sys
      .ask(c, 'slowGet', { ms: 'soon' } as never, { timeout: 1000 })
      .catch((e) => e);
    expect(bad).toBeInstanceOf(Rejected);
    expect(bad.issues[0].path).toEqual(['ms']);
    expect(bad.issues[0].code).toBe('invalid_type');
  });

  it('Rejected for an unknown message type, and for a tell sent as an ask', async () => {
    const sys = await start();
    const c = sys.spawn(Counter);
    await expect(sys.ask(c, 'nope' as never, {} as never, { timeout: 500 })).rejects.toBeInstanceOf(
      Rejected,
    );
    await expect(sys.ask(c, 'add' as never, { n: 1 } as never, { timeout: 500 })).rejects.toThrow(
      /is a tell/,
    );
  });

  it('ActorFailed when the handler throws during an ask, NoReply when it returns without replying', async () => {
    const Bad = defineActor({
      type: 'bad',
      state: () => null,
      asks: {
        throws: { request: z.object({}), reply: z.string() },
        silent: { request: z.object({}), reply: z.string() },
        wrongReply: { request: z.object({}), reply: z.string() },
      },
      handle: {
        throws: () => {
          throw new Error('kaput');
        },
        silent: () => {},
        wrongReply: (_s, _m, ctx) => {
          ctx.reply(42 as unknown as string);
        },
      },
    });
    const sys = await start();
    const b = sys.spawn(Bad);
    const e1 = await sys.ask(b, 'throws', {}, { timeout: 500 }).catch((e) => e);
    expect(e1).toBeInstanceOf(ActorFailed);
    expect(e1.reason).toBe('kaput');
    await expect(sys.ask(b, 'silent', {}, { timeout: 500 })).rejects.toBeInstanceOf(NoReply);
    const e3 = await sys.ask(b, 'wrongReply', {}, { timeout: 500 }).catch((e) => e);
    expect(e3).toBeInstanceOf(Rejected);
    expect(e3.message).toMatch(/wrongReply reply/);
  });

  it('Stopped for asks queued when the actor stops, and after shutdown', async () => {
    const sys = await start();
    const c = sys.spawn(Counter);
    const first = sys.ask(c, 'slowGet', { ms: 50 }, { timeout: 5000 });
    const queued = sys.ask(c, 'get', {}, { timeout: 5000 });
    await sleep(5);
    await sys.stop(c);
    await expect(queued).rejects.toBeInstanceOf(Stopped);
    expect(await first).toBe(0); // the running handler was allowed to finish
    await expect(sys.ask(c, 'get', {}, { timeout: 500 })).rejects.toBeInstanceOf(NoSuchActor);
    await sys.shutdown();
    await expect(sys.ask(c, 'get', {}, { timeout: 500 })).rejects.toBeInstanceOf(Stopped);
    expect(() => sys.tell(c, 'add', { n: 1 })).toThrow(Stopped);
  });

  it('InvalidArgument for bad input at every entry point', async () => {
    const sys = await start();
    expect(() => sys.spawn(Counter, { name: 'has.dot' })).toThrow(InvalidArgument);
    expect(() => sys.spawn(Counter, { name: 'sys' })).toThrow(/reserved/);
    expect(() => sys.spawn({ type: 'x' } as never)).toThrow(/defineActor/);
    sys.spawn(Counter, { name: 'dup' });
    expect(() => sys.spawn(Counter, { name: 'dup' })).toThrow(/already lives/);
    expect(() => sys.spawn(Counter, { mailbox: { capacity: 0 } })).toThrow(/capacity/);
    expect(() => sys.spawn(Counter, { mailbox: { overflow: 'block' as never } })).toThrow(
      /overflow/,
    );
    const c = sys.spawn(Counter);
    await expect(sys.ask(c, 'get', {}, {} as never)).rejects.toThrow(/timeout/);
    await expect(sys.ask(c, 'get', {}, { timeout: -1 })).rejects.toBeInstanceOf(InvalidArgument);
    await expect(sys.ask(c, 'get', {}, { timeout: 10, traceparent: 'nope' })).rejects.toThrow(
      /traceparent/,
    );
    expect(() => sys.tell({ system: 'other', path: 'c' }, 'add', { n: 1 })).toThrow(
      /belongs to system other/,
    );
    await expect(ActorSystem.start({ name: 'bad name' })).rejects.toThrow(
      /invalid system options: name/,
    );
    await expect(
      ActorSystem.start({ name: 'x', transport: { kind: 'nats' } as never }),
    ).rejects.toThrow(/transport.servers/);
    expect(() =>
      defineActor({ type: 't', state: () => 0, tells: { a: z.string() }, handle: {} as never }),
    ).toThrow(/no handler for a/);
    expect(() =>
      defineActor({
        type: 't',
        state: () => 0,
        tells: { a: z.string() },
        asks: { a: { request: z.string(), reply: z.string() } },
        handle: { a: () => {} } as never,
      }),
    ).toThrow(/both/);
  });
});

describe('mailbox overflow policies', () => {
  const Gate = defineActor({
    type: 'gate',
    state: () => ({ got: [] as number[], open: null as null | (() => void) }),
    tells: { item: z.object({ i: z.number() }), block: z.object({}) },
    asks: { got: { request: z.object({}), reply: z.array(z.number()) } },
    handle: {
      async block() {
        await sleep(30);
      },
      item(s, m) {
        s.got.push(m.i);
      },
      got: (s, _m, ctx) => ctx.reply(s.got),
    },
  });

  /** A gate of capacity 3 busy with `block`: what is told next waits in its mailbox. */
  async function blockedGate(overflow: 'fail' | 'dropOldest' | 'dropNewest') {
    const sys = await start();
    const g = sys.spawn(Gate, { mailbox: { capacity: 3, overflow } });
    sys.tell(g, 'block', {});
    await sleep(1);
    return { sys, g };
  }

  it('fail: the sender gets MailboxFull and nothing is queued', async () => {
    const { sys, g } = await blockedGate('fail');
    for (let i = 0; i < 3; i++) sys.tell(g, 'item', { i });
    expect(() => sys.tell(g, 'item', { i: 3 })).toThrow(MailboxFull);
    await expect(sys.ask(g, 'got', {}, { timeout: 500 })).rejects.toBeInstanceOf(MailboxFull);
    await sys.whenQuiescent();
    expect(await sys.ask(g, 'got', {}, { timeout: 500 })).toEqual([0, 1, 2]);
  });

  it.each([
    {
      title: 'dropOldest: the oldest message goes to dead letters, the newest is kept',
      overflow: 'dropOldest',
      kept: [2, 3, 4],
      dropped: [0, 1],
      reason: 'mailboxFull: dropped oldest',
    },
    {
      title: 'dropNewest: the newest message goes to dead letters',
      overflow: 'dropNewest',
      kept: [0, 1, 2],
      dropped: [3, 4],
      reason: 'mailboxFull: dropped newest',
    },
  ] as const)('$title', async ({ overflow, kept, dropped, reason }) => {
    const { sys, g } = await blockedGate(overflow);
    for (let i = 0; i < 5; i++) sys.tell(g, 'item', { i });
    await sys.whenQuiescent();
    expect(await sys.ask(g, 'got', {}, { timeout: 500 })).toEqual(kept);
    const dl = await sys.deadLetters();
    expect(dl.letters.map((l) => [(l.body as { i: number }).i, l.reason])).toEqual(
      dropped.map((i) => [i, reason]),
    );
  });
});

describe('dead letters', () => {
  it('records a tell that fails its schema, with the zod reason', async () => {
    const sys = await start();
    const c = sys.spawn(Counter, { name: 'c' });
    const events: RuntimeEvent[] = [];
    sys.on((e) => events.push(e));
    sys.tell(c, 'add', { n: 1.5 });
    sys.tell({ system: 'test', path: 'ghost' }, 'add', { n: 1 });
    await sys.whenQuiescent();
    const dl = await sys.deadLetters();
    expect(dl.count).toBe(2);
    expect(dl.letters[0]).toMatchObject({ to: 'c', type: 'add', body: { n: 1.5 } });
    expect(dl.letters[0]!.reason).toMatch(/rejected: .*n: .*int/i);
    expect(dl.letters[1]).toMatchObject({ to: 'ghost', reason: 'no such actor' });
    expect(events.filter((e) => e.kind === 'deadLetter')).toHaveLength(2);
    expect(await sys.ask(c, 'get', {}, { timeout: 500 })).toBe(0);
  });
});

describe('deadlines', () => {
  it('a nested ask sees only the remaining time, across three hops', async () => {
    const seen: Record<string, number> = {};
    const Hop = defineActor({
      type: 'hop',
      state: (next: ActorRef | null) => ({ next }),
      asks: { go: { request: z.object({}), reply: z.string() } },
      handle: {
        async go(s, _m, ctx) {
          seen[ctx.self.path] = ctx.deadline;
          if (s.next === null) {
            await sleep(1000);
            ctx.reply('late');
            return;
          }
          // Asks for 10 s but must inherit the caller's deadline.
          ctx.reply(
            await ctx.ask(
              s.next as ActorRef<NonNullable<(typeof Hop)['__protocol']>>,
              'go',
              {},
              { timeout: 10_000 },
            ),
          );
        },
      },
    });
    const sys = await start();
    const c = sys.spawn(Hop, { name: 'c', args: null });
    const b = sys.spawn(Hop, { name: 'b', args: c });
    const a = sys.spawn(Hop, { name: 'a', args: b });
    const t0 = Date.now();
    const err = await sys.ask(a, 'go', {}, { timeout: 200 }).catch((e) => e);
    expect(err).toBeInstanceOf(Timeout);
    expect(Date.now() - t0).toBeLessThan(600);
    expect(seen.a).toBeGreaterThan(0);
    expect(seen.b).toBe(seen.a);
    expect(seen.c).toBe(seen.a);
  });

  it('a nested Timeout reaches the asker as Timeout, not as a handler failure', async () => {
    const Caller = defineActor({
      type: 'caller',
      state: (slow: ActorRef<StuckP>) => ({ slow }),
      asks: { go: { request: z.object({}), reply: z.null() } },
      handle: {
        async go(s, _m, ctx) {
          ctx.reply(await ctx.ask(s.slow, 'hang', {}, { timeout: 40 }));
        },
      },
    });
    const sys = await start('test', { stopTimeoutMs: 50 });
    const caller = sys.spawn(Caller, { args: sys.spawn(Stuck, { name: 'slow' }) });
    const t0 = Date.now();
    const err = await sys.ask(caller, 'go', {}, { timeout: 5000 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Timeout);
    expect((err as Timeout).afterMs).toBe(40);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('an ask whose deadline passed while queued is not handled', async () => {
    let handled = 0;
    const A = defineActor({
      type: 'a',
      state: () => null,
      tells: { block: z.object({}) },
      asks: { q: { request: z.object({}), reply: z.number() } },
      handle: {
        async block() {
          await sleep(80);
        },
        q: (_s, _m, ctx) => {
          handled++;
          ctx.reply(1);
        },
      },
    });
    const sys = await start();
    const a = sys.spawn(A);
    sys.tell(a, 'block', {});
    await expect(sys.ask(a, 'q', {}, { timeout: 20 })).rejects.toBeInstanceOf(Timeout);
    await sys.whenQuiescent();
    expect(handled).toBe(0);
    const dl = await sys.deadLetters();
    expect(dl.letters.at(-1)?.reason).toBe('deadline passed before handling');
  });
});

describe('death watch, lifecycle, timers', () => {
  const log: string[] = [];
  const Watcher = defineActor({
    type: 'watcher',
    state: () => ({ terminated: [] as string[] }),
    tells: { watch: z.object({ path: z.string() }), unwatch: z.object({ path: z.string() }) },
    asks: { terminated: { request: z.object({}), reply: z.array(z.string()) } },
    handle: {
      watch(_s, m, ctx) {
        ctx.watch({ system: ctx.system, path: m.path });
      },
      unwatch(_s, m, ctx) {
        ctx.unwatch({ system: ctx.system, path: m.path });
      },
      terminated: (s, _m, ctx) => ctx.reply(s.terminated),
    },
    onTerminated(s, t) {
      s.terminated.push(`${t.ref.path}:${t.reason}`);
    },
  });
  const Node = defineActor({
    type: 'node',
    state: (kids: number | void) => ({ kids: kids ?? 0 }),
    tells: { tick: z.object({ k: z.string() }) },
    handle: {
      tick(_s, m, ctx) {
        log.push(`tick ${ctx.self.path} ${m.k}`);
      },
    },
    onStart(s, ctx) {
      log.push(`start ${ctx.self.path}`);
      for (let i = 0; i < s.kids; i++) ctx.spawn(Node, { name: `k${i}` });
    },
    onStop(_s, ctx) {
      log.push(`stop ${ctx.self.path}`);
    },
  });

  it('delivers Terminated to watchers, at once for a missing actor, not after unwatch', async () => {
    const sys = await start();
    const w = sys.spawn(Watcher, { name: 'w' });
    const x = sys.spawn(Counter, { name: 'x' });
    const y = sys.spawn(Counter, { name: 'y' });
    sys.tell(w, 'watch', { path: 'x' });
    sys.tell(w, 'watch', { path: 'y' });
    sys.tell(w, 'watch', { path: 'missing' });
    await sys.whenQuiescent();
    sys.tell(w, 'unwatch', { path: 'y' });
    await sys.whenQuiescent();
    await sys.stop(x);
    await sys.stop(y);
    await sys.whenQuiescent();
    expect(await sys.ask(w, 'terminated', {}, { timeout: 500 })).toEqual([
      'missing:noSuchActor',
      'x:stopped',
    ]);
  });

  it('starts children in order and stops them first, last spawned first', async () => {
    log.length = 0;
    const sys = await start();
    const p = sys.spawn(Node, { name: 'p', args: 3 });
    await sys.whenQuiescent();
    await sys.stop(p);
    expect(log).toEqual([
      'start p',
      'start p/k0',
      'start p/k1',
      'start p/k2',
      'stop p/k2',
      'stop p/k1',
      'stop p/k0',
      'stop p',
    ]);
  });

  it('fires once and repeating timers, and cancels them on stop', async () => {
    const Ticker = defineActor({
      type: 'ticker',
      state: () => ({ n: 0 }),
      tells: { tick: z.object({}), once: z.object({}) },
      asks: { n: { request: z.object({}), reply: z.number() } },
      handle: {
        tick: (s) => ({ n: s.n + 1 }),
        once: (s) => ({ n: s.n + 100 }),
        n: (s, _m, ctx) => ctx.reply(s.n),
      },
      onStart(_s, ctx) {
        ctx.timers.repeat('t', 10, 'tick', {});
        ctx.timers.once('o', 15, 'once', {});
        ctx.timers.once('cancelled', 15, 'once', {});
        ctx.timers.cancel('cancelled');
      },
    });
    const sys = await start();
    const t = sys.spawn(Ticker);
    await sleep(75);
    const n = await sys.ask(t, 'n', {}, { timeout: 500 });
    expect(n).toBeGreaterThanOrEqual(103);
    expect(n).toBeLessThan(110);
    await sys.stop(t);
    const before = (await sys.deadLetters()).count;
    await sleep(40);
    expect((await sys.deadLetters()).count).toBe(before);
  });

  it('restarts a failed actor with fresh state, keeping its queued mail', async () => {
    const sys = await start();
    const events: string[] = [];
    sys.on((e) => events.push(e.kind));
    const c = sys.spawn(Counter, { args: 10 });
    sys.tell(c, 'add', { n: 1 });
    sys.tell(c, 'boom', {});
    sys.tell(c, 'add', { n: 2 });
    expect(await sys.ask(c, 'get', {}, { timeout: 500 })).toBe(12);
    expect(events).toContain('crashed');
    expect(events).toContain('restarted');
  });
});

describe('graceful shutdown', () => {
  it('drains mailboxes, then stops in reverse order, within the bound', async () => {
    const order: string[] = [];
    const Worker = defineActor({
      type: 'worker',
      state: () => ({ done: 0 }),
      tells: { job: z.object({}) },
      handle: {
        async job(s) {
          await sleep(2);
          return { done: s.done + 1 };
        },
      },
      onStop(s, ctx) {
        order.push(`${ctx.self.path}:${s.done}`);
      },
    });
    const sys = await ActorSystem.start({ name: 'test', logLevel: 'silent' });
    const a = sys.spawn(Worker, { name: 'a' });
    const b = sys.spawn(Worker, { name: 'b' });
    for (let i = 0; i < 10; i++) {
      sys.tell(a, 'job', {});
      sys.tell(b, 'job', {});
    }
    await sys.shutdown({ timeoutMs: 5000 });
    expect(order).toEqual(['b:10', 'a:10']);
  });

  it('gives up on a handler that never finishes when the bound passes', async () => {
    const sys = await ActorSystem.start({ name: 'test', logLevel: 'silent', stopTimeoutMs: 100 });
    const s = sys.spawn(Stuck);
    const hung = sys.ask(s, 'hang', {}, { timeout: 60_000 });
    const t0 = Date.now();
    await sys.shutdown({ timeoutMs: 300 });
    expect(Date.now() - t0).toBeLessThan(1500);
    await expect(hung).rejects.toBeInstanceOf(Stopped);
  });
});

describe('sharded types without a broker', () => {
  it('spreads messages over the local instances', async () => {
    const Shard = shardMember('shard', 'path');
    const sys = await start();
    sys.spawn(Shard, { name: 's1', shard: true });
    sys.spawn(Shard, { name: 's2', shard: true });
    const who = await Promise.all(
      Array.from({ length: 10 }, () =>
        sys.ask({ system: 'test', shard: 'shard' }, 'hit', {}, { timeout: 500 }),
      ),
    );
    expect(new Set(who)).toEqual(new Set(['s1', 's2']));
    await expect(
      sys.ask({ system: 'test', shard: 'none' }, 'hit', {}, { timeout: 500 }),
    ).rejects.toBeInstanceOf(NoSuchActor);
  });
});
