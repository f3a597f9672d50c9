import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ActorRef,
  backoffDelay,
  defineActor,
  defineSupervisor,
  Hung,
  InvalidArgument,
  type RuntimeEvent,
} from '../../index.ts';
import { spawnSupervisor, supervisorOf } from '../support/supervisors.ts';
import { recordEvents, testSystems } from '../support/test-systems.ts';

const systems = testSystems({ name: 'sup' }, { shutdownMs: 3000 });
async function start() {
  const sys = await systems.start();
  return { sys, events: recordEvents(sys) };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ref = (path: string): ActorRef<WorkerP> => ({ system: 'sup', path });

const log: string[] = [];
const Worker = defineActor({
  type: 'worker',
  state: (tag: string | void) => ({ n: 0, tag: tag ?? '' }),
  tells: {
    inc: z.object({}),
    crash: z.object({ why: z.string().default('boom') }),
    fail: z.object({ why: z.string() }),
    exit: z.object({}),
  },
  asks: {
    n: { request: z.object({}), reply: z.number() },
    sleep: { request: z.object({ ms: z.number() }), reply: z.string() },
    beat: { request: z.object({ ms: z.number(), every: z.number() }), reply: z.string() },
  },
  handle: {
    inc: (s) => ({ ...s, n: s.n + 1 }),
    crash(_s, m) {
      throw new Error(m.why);
    },
    fail(_s, m, ctx) {
      ctx.fail(m.why);
    },
    exit(_s, _m, ctx) {
      void ctx.stop();
    },
    n: (s, _m, ctx) => ctx.reply(s.n),
    async sleep(_s, m, ctx) {
      await sleep(m.ms);
      ctx.reply('done');
    },
    async beat(_s, m, ctx) {
      const end = Date.now() + m.ms;
      while (Date.now() < end) {
        await sleep(m.every);
        ctx.heartbeat();
      }
      ctx.reply('done');
    },
  },
  onStart(s, ctx) {
    log.push(`start ${ctx.self.path}`);
    if (s.tag === 'bad-start') throw new Error('cannot start');
  },
  onStop(_s, ctx) {
    log.push(`stop ${ctx.self.path}`);
  },
});
type WorkerP = NonNullable<(typeof Worker)['__protocol']>;

/** Children that run Worker, one per id, in start order. */
const workers = (...ids: string[]) => ids.map((id) => ({ id, start: { def: Worker } }));

const kinds = (events: RuntimeEvent[], kind: RuntimeEvent['kind']) =>
  events.filter((e) => e.kind === kind).map((e) => ('path' in e ? e.path : ''));

describe('supervisors', () => {
  it('starts children in order, restarts a crashed one in place with its mail, stops in reverse', async () => {
    log.length = 0;
    const { sys, events } = await start();
    const top = await spawnSupervisor(sys, 'team', workers('a', 'b', 'c'));
    expect(log).toEqual(['start team/a', 'start team/b', 'start team/c']);
    sys.tell(ref('team/b'), 'inc', {});
    sys.tell(ref('team/b'), 'crash', { why: 'kaput' });
    sys.tell(ref('team/b'), 'inc', {}); // queued behind the crash: must survive the restart
    await sys.whenQuiescent();
    expect(await sys.ask(ref('team/b'), 'n', {}, { timeout: 1000 })).toBe(1);
    expect(kinds(events, 'restarted')).toEqual(['team/b']);
    const children = await sys.ask(top, 'whichChildren', {}, { timeout: 1000 });
    expect(children.map((c) => [c.id, c.status, c.restarts, c.lastFailure])).toEqual([
      ['a', 'running', 0, null],
      ['b', 'running', 1, 'kaput'],
      ['c', 'running', 0, null],
    ]);
    log.length = 0;
    await sys.stop(top);
    expect(log).toEqual(['stop team/c', 'stop team/b', 'stop team/a']);
  });

  it('one_for_all restarts everyone; rest_for_one restarts the failed one and those after it', async () => {
    for (const [strategy, expected] of [
      ['one_for_all', ['s/a', 's/b', 's/c']],
      ['rest_for_one', ['s/b', 's/c']],
    ] as const) {
      const { sys, events } = await start();
      await spawnSupervisor(sys, 's', workers('a', 'b', 'c'), { strategy });
      log.length = 0;
      events.length = 0;
      sys.tell(ref('s/b'), 'crash', {});
      await sys.whenQuiescent();
      await sleep(20);
      const stopped = log.filter((l) => l.startsWith('stop')).map((l) => l.slice(5));
      const started = log.filter((l) => l.startsWith('start')).map((l) => l.slice(6));
      // Siblings stop last-started first; then everything touched starts in order.
      expect(stopped).toEqual(expected.filter((p) => p !== 's/b').reverse());
      expect(started).toEqual([...expected]);
      await sys.shutdown();
    }
  });

  it('does not restart temporary children, nor transient ones that exit normally', async () => {
    const { sys } = await start();
    const s = await spawnSupervisor(sys, 's', [
      { id: 'tmp', start: { def: Worker }, restart: 'temporary' },
      { id: 'tr', start: { def: Worker }, restart: 'transient' },
      { id: 'tr2', start: { def: Worker }, restart: 'transient' },
      { id: 'perm', start: { def: Worker }, restart: 'permanent' },
    ]);
    sys.tell(ref('s/tmp'), 'crash', {});
    sys.tell(ref('s/tr'), 'exit', {});
    sys.tell(ref('s/tr2'), 'crash', {});
    sys.tell(ref('s/perm'), 'exit', {});
    await sys.whenQuiescent();
    await sleep(30);
    await sys.whenQuiescent();
    const kids = await sys.ask(s, 'whichChildren', {}, { timeout: 1000 });
    expect(kids.map((k) => [k.id, k.status])).toEqual([
      ['tr', 'terminated'],
      ['tr2', 'running'],
      ['perm', 'running'],
    ]);
    expect(sys.lookup('s/tmp')).toBeUndefined();
  });

  it('counts fail(reason) toward intensity and gives up past it, escalating to its parent', async () => {
    const { sys, events } = await start();
    const Inner = supervisorOf('inner', workers('w'), { intensity: 2, period: 60 });
    await spawnSupervisor(sys, 'outer', [{ id: 'inner', start: { def: Inner } }], {
      intensity: 1,
      period: 60,
    });
    for (let i = 0; i < 3; i++) {
      sys.tell(ref('outer/inner/w'), 'fail', { why: 'invalid model output' });
      await sys.whenQuiescent();
      await sleep(10);
    }
    // Third failure exceeds inner's intensity 2: it gives up, outer restarts it (its 1 restart).
    expect(kinds(events, 'gaveUp')).toEqual(['outer/inner']);
    expect(
      events
        .filter((e) => e.kind === 'crashed')
        .every((e) => 'reason' in e && e.reason === 'invalid model output'),
    ).toBe(true);
    await sys.whenQuiescent();
    expect(sys.lookup('outer/inner/w')).toBeDefined();
    for (let i = 0; i < 3; i++) {
      sys.tell(ref('outer/inner/w'), 'crash', {});
      await sys.whenQuiescent();
      await sleep(10);
    }
    // inner gives up again; outer's intensity (1) is spent: outer gives up at the root.
    expect(kinds(events, 'gaveUp')).toEqual(['outer/inner', 'outer/inner', 'outer']);
    await sleep(20);
    expect(sys.lookup('outer')).toBeUndefined();
  });

  it('waits with exponential backoff and jitter between restarts, within bounds', async () => {
    const { sys, events } = await start();
    const b = { initialMs: 40, maxMs: 160, multiplier: 2, jitter: 0.25, resetAfterMs: 10_000 };
    await spawnSupervisor(sys, 's', workers('w'), { intensity: 100, period: 60, backoff: b });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const restarted = new Promise<void>((res) => {
        const off = sys.on((e) => {
          if (e.kind === 'restarted' && e.path === 's/w') {
            off();
            res();
          }
        });
      });
      sys.tell(ref('s/w'), 'crash', {});
      await restarted;
      delays.push(performance.now() - t0);
    }
    const base = [40, 80, 160, 160, 160];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(base[i]! * (1 - b.jitter) - 2);
      // The lower bound is the property; the upper one only catches a missing cap (slack for
      // timers on a loaded machine).
      expect(d).toBeLessThanOrEqual(Math.min(b.maxMs, base[i]! * (1 + b.jitter)) + 400);
    });
    expect(kinds(events, 'restarted')).toHaveLength(5);
  });

  it('computes backoff delays: exponential, capped, jittered both ways', () => {
    const b = { initialMs: 100, maxMs: 1000, multiplier: 3, jitter: 0.1, resetAfterMs: 1 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(b, n, () => 0.5))).toEqual([100, 300, 900, 1000]);
    expect(backoffDelay(b, 1, () => 0)).toBe(90);
    expect(backoffDelay(b, 1, () => 1)).toBe(110);
    expect(backoffDelay(b, 4, () => 1)).toBe(1000);
    expect(backoffDelay(b, 0)).toBe(0);
  });

  it('restarts from the last snapshot when the actor keeps them', async () => {
    const Snap = defineActor({
      type: 'snap',
      state: () => ({ items: [] as string[] }),
      tells: { add: z.object({ item: z.string() }), crash: z.object({}) },
      asks: { items: { request: z.object({}), reply: z.array(z.string()) } },
      handle: {
        add: (s, m) => ({ items: [...s.items, m.item] }),
        crash() {
          throw new Error('lost my memory?');
        },
        items: (s, _m, ctx) => ctx.reply(s.items),
      },
      snapshot: (s) => ({ items: [...s.items] }),
      restore: (snap) => snap as { items: string[] },
    });
    const { sys } = await start();
    await spawnSupervisor(sys, 's', [{ id: 'm', start: { def: Snap } }], { intensity: 3 });
    const m = { system: 'sup', path: 's/m' } as ActorRef<NonNullable<(typeof Snap)['__protocol']>>;
    sys.tell(m, 'add', { item: 'plan' });
    sys.tell(m, 'add', { item: 'code' });
    sys.tell(m, 'crash', {});
    await sys.whenQuiescent();
    expect(await sys.ask(m, 'items', {}, { timeout: 1000 })).toEqual(['plan', 'code']);
  });

  it('marks a handler over its time limit hung: the asker gets Hung at once, the child restarts', async () => {
    const { sys, events } = await start();
    await spawnSupervisor(sys, 's', [
      { id: 'slow', start: { def: Worker }, maxHandlerMs: 150 },
      { id: 'beat', start: { def: Worker }, heartbeatMs: 60 },
    ]);
    const t0 = Date.now();
    const err = await sys
      .ask(ref('s/slow'), 'sleep', { ms: 10_000 }, { timeout: 20_000 })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Hung);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(kinds(events, 'hung')).toEqual(['s/slow']);
    await sys.whenQuiescent();
    expect(await sys.ask(ref('s/slow'), 'n', {}, { timeout: 1000 })).toBe(0);
    // Heartbeats keep long work alive; silence past two intervals does not.
    expect(await sys.ask(ref('s/beat'), 'beat', { ms: 400, every: 20 }, { timeout: 5000 })).toBe(
      'done',
    );
    const e2 = await sys
      .ask(ref('s/beat'), 'sleep', { ms: 5000 }, { timeout: 10_000 })
      .catch((e: Error) => e);
    expect(e2).toBeInstanceOf(Hung);
    expect((e2 as Hung).reason).toMatch(/no heartbeat/);
  });

  it('fails to start when a child fails to start, stopping the ones already started', async () => {
    log.length = 0;
    const { sys, events } = await start();
    await spawnSupervisor(
      sys,
      's',
      [
        { id: 'a', start: { def: Worker } },
        { id: 'b', start: { def: Worker, args: 'bad-start' } },
        { id: 'c', start: { def: Worker } },
      ],
      { intensity: 0 },
    );
    await sleep(20);
    expect(log.slice(0, 3)).toEqual(['start s/a', 'start s/b', 'stop s/a']);
    expect(log).not.toContain('start s/c');
    expect(
      events.some(
        (e) => e.kind === 'crashed' && e.path === 's' && /child b failed to start/.test(e.reason),
      ),
    ).toBe(true);
  });

  it('terminates a supervised child on system.stop instead of restarting it; starts dynamic children', async () => {
    const { sys } = await start();
    const pool = await spawnSupervisor(
      sys,
      'pool',
      [{ id: 'job', start: { def: Worker }, restart: 'transient' }],
      { strategy: 'simple_one_for_one', intensity: 3 },
    );
    const p1 = await sys.ask(pool, 'startChild', { args: 'x' }, { timeout: 1000 });
    const p2 = await sys.ask(pool, 'startChild', { args: 'y' }, { timeout: 1000 });
    expect([p1, p2]).toEqual(['pool/job-1', 'pool/job-2']);
    await sys.stop(ref(p1));
    await sys.whenQuiescent();
    expect(sys.lookup(p1)).toBeUndefined();
    expect((await sys.ask(pool, 'whichChildren', {}, { timeout: 1000 })).map((c) => c.id)).toEqual([
      'job-2',
    ]);
    await expect(
      sys.ask(pool, 'startChild', { args: 'z', id: 'bad.id' }, { timeout: 1000 }),
    ).rejects.toThrow(/path segment/);
  });

  it('answers a bad supervisor request with an error, without crashing the supervisor', async () => {
    const { sys, events } = await start();
    const s = await spawnSupervisor(sys, 's', workers('a'), { intensity: 0 });
    sys.tell(ref('s/a'), 'inc', {});
    await expect(
      sys.ask(s, 'startChild', { spec: { id: 'x' } }, { timeout: 1000 }),
    ).rejects.toThrow(InvalidArgument);
    await expect(
      sys.ask(s, 'startChild', { spec: { id: 'a', start: { def: Worker } } }, { timeout: 1000 }),
    ).rejects.toThrow(/already has a child a/);
    await expect(sys.ask(s, 'deleteChild', { id: 'a' }, { timeout: 1000 })).rejects.toThrow(
      /terminate it first/,
    );
    await expect(sys.ask(s, 'restartChild', { id: 'nope' }, { timeout: 1000 })).rejects.toThrow(
      /no actor at s\/nope/,
    );
    expect(events.filter((e) => e.kind === 'crashed')).toEqual([]);
    expect(await sys.ask(ref('s/a'), 'n', {}, { timeout: 1000 })).toBe(1);
  });

  it('rejects bad specs where they are written', () => {
    expect(() =>
      defineSupervisor({ type: 's', strategy: 'one_for_none' as never, children: [] }),
    ).toThrow(InvalidArgument);
    expect(() =>
      defineSupervisor({
        type: 's',
        strategy: 'one_for_one',
        children: [{ id: 'a', start: { def: Worker }, restart: 'sometimes' as never }],
      }),
    ).toThrow(/restart/);
    expect(() =>
      defineSupervisor({
        type: 's',
        strategy: 'one_for_one',
        children: [
          { id: 'a', start: { def: Worker } },
          { id: 'a', start: { def: Worker } },
        ],
      }),
    ).toThrow(/duplicate child id a/);
    expect(() =>
      defineSupervisor({ type: 's', strategy: 'simple_one_for_one', children: [] }),
    ).toThrow(/exactly one/);
    expect(() =>
      defineSupervisor({
        type: 's',
        strategy: 'one_for_one',
        backoff: { initialMs: 10, maxMs: 5 },
        children: [],
      }),
    ).toThrow(/maxMs/);
  });
});
