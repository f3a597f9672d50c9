import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { encodeBody, Kind } from '../../protocols/envelope/index.ts';
import {
  ActorSystem,
  defineActor,
  defineSupervisor,
  Hung,
  InvalidArgument,
  Timeout,
} from '../../runtime/index.ts';
import { kernelOf } from '../../runtime/kernel-access.ts';
import type { ReplyTarget } from '../../runtime/pending-ask.ts';
import { Stuck, type StuckP } from '../support/stuck.ts';
import { testSystems } from '../support/test-systems.ts';

const { start } = testSystems({ name: 'svc' });

/** A reply target as the transport gives one: settles once, and says how. */
function replyTarget(): ReplyTarget & { outcome: Promise<{ ok: boolean; value: unknown }> } {
  let done!: (o: { ok: boolean; value: unknown }) => void;
  const outcome = new Promise<{ ok: boolean; value: unknown }>((r) => {
    done = r;
  });
  let settled = false;
  return {
    outcome,
    get settled() {
      return settled;
    },
    resolve(value) {
      settled = true;
      done({ ok: true, value });
    },
    reject(value) {
      settled = true;
      done({ ok: false, value });
    },
  };
}

describe('kernel services', () => {
  it('an ask whose deadline passed before it was handled is refused with Timeout, unhandled', async () => {
    let handled = 0;
    const A = defineActor({
      type: 'a',
      state: () => null,
      asks: { q: { request: z.object({}), reply: z.number() } },
      handle: {
        q: (_s, _m, ctx) => {
          handled++;
          ctx.reply(1);
        },
      },
    });
    const sys = await start();
    const a = sys.spawn(A, { name: 'a' });
    // From the wire, as a remote asker's ask arrives: its absolute deadline is already behind.
    const reply = replyTarget();
    kernelOf(sys).receive(
      {
        id: 1,
        kind: Kind.ask,
        to: a.path,
        from: null,
        type: 'q',
        corr: 7,
        deadline: Date.now() - 1,
        trace: null,
        hops: 0,
        body: encodeBody({}),
      },
      {},
      reply,
    );
    const r = await reply.outcome;
    expect(r.ok).toBe(false);
    expect(r.value).toBeInstanceOf(Timeout);
    expect((r.value as Timeout).target).toBe('a');
    expect((r.value as Timeout).type).toBe('q');
    await sys.whenQuiescent();
    expect(handled).toBe(0);
    // The same ask in time is answered: the refusal above was the deadline, nothing else.
    const ok = replyTarget();
    kernelOf(sys).receive(
      {
        id: 2,
        kind: Kind.ask,
        to: a.path,
        from: null,
        type: 'q',
        corr: 8,
        deadline: Date.now() + 5_000,
        trace: null,
        hops: 0,
        body: encodeBody({}),
      },
      {},
      ok,
    );
    expect(await ok.outcome).toEqual({ ok: true, value: 1 });
  });

  it('every system has the watchdog, whichever entry point started it (no import-time defaults)', async () => {
    const Sup = defineSupervisor({
      type: 'sup',
      strategy: 'one_for_one',
      children: [{ id: 'w', start: { def: Stuck }, maxHandlerMs: 50 }],
    });
    const sys = await start('wd');
    sys.spawn(Sup, { name: 'sup' });
    await sys.allStarted();
    const err = await sys
      .ask<StuckP, 'hang'>(sys.lookup('sup/w')!, 'hang', {}, { timeout: 5_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Hung);
  });

  it('a system started without a process launcher refuses a process child with a clear error', async () => {
    const W = defineActor({ type: 'w', state: () => null, handle: {} });
    const Sup = defineSupervisor({
      type: 'psup',
      strategy: 'one_for_one',
      children: [{ id: 'p', start: { def: W, process: { module: './nowhere.ts' } } }],
    });
    const sys = await start('np');
    const ref = sys.spawn(Sup, { name: 'psup' });
    const err = await sys.started(ref).catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/no process launcher/);
  });

  it('kernelOf refuses anything but a started system', () => {
    expect(() => kernelOf({})).toThrow(TypeError);
  });

  it('rejects a watchdog option that is not an actor definition', async () => {
    await expect(
      ActorSystem.start({ name: 'bad', logLevel: 'silent', watchdog: {} as never }),
    ).rejects.toBeInstanceOf(InvalidArgument);
  });
});

describe('ctx.stop', () => {
  it('from a sync handler: a refused stop is no unhandled rejection; a self-stop stops', async () => {
    const Other = defineActor({ type: 'other', state: () => null, handle: {} });
    const A = defineActor({
      type: 'stopper',
      state: () => null,
      tells: { stopOther: z.object({ path: z.string() }), quit: z.object({}) },
      handle: {
        stopOther: (_s, m, ctx) => {
          // Not a child: refused; the handler drops the promise, as a sync handler must.
          ctx.stop({ system: ctx.system, path: m.path });
        },
        quit: (_s, _m, ctx) => {
          ctx.stop();
        },
      },
    });
    const sys = await start('stop1');
    const other = sys.spawn(Other, { name: 'other' });
    const a = sys.spawn(A, { name: 'stopper' });
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', onUnhandled);
    try {
      sys.tell(a, 'stopOther', { path: other.path });
      await sys.whenQuiescent();
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
      expect(sys.lookup('other')).toBeDefined();
      sys.tell(a, 'quit', {});
      expect((await sys.whenTerminated(a)).reason).toBe('normal');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('awaited by the stopping actor in its own async handler, it does not wait the stop timeout', async () => {
    let after = false;
    const A = defineActor({
      type: 'selfstop',
      state: () => null,
      tells: { quit: z.object({}) },
      handle: {
        quit: async (_s, _m, ctx) => {
          await ctx.stop();
          after = true;
        },
      },
    });
    const sys = await start('stop2');
    const a = sys.spawn(A, { name: 'selfstop' });
    const t0 = Date.now();
    sys.tell(a, 'quit', {});
    const t = await sys.whenTerminated(a);
    expect(t.reason).toBe('normal');
    expect(after).toBe(true);
    // The system's stop timeout is 5 s; the stop ends as soon as the handler does.
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
