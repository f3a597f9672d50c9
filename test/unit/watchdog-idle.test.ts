import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ActorRef, defineActor } from '../../index.ts';
import { supervisorOf } from '../support/supervisors.ts';
import { recordEvents, testSystems } from '../support/test-systems.ts';

/**
 * Issue 8, attack 2: after a synchronous handler the handler-start mark stayed set, so a
 * child with `maxHandlerMs` was declared hung `maxHandlerMs` after its last message, idle,
 * and restarted with fresh state. The watchdog measures only a running handler.
 */
const Tally = defineActor({
  type: 'tally',
  state: () => ({ n: 0 }),
  asks: {
    add: { request: z.object({ k: z.number() }), reply: z.number() },
    addLater: { request: z.object({ k: z.number() }), reply: z.number() },
  },
  handle: {
    add(s, m, ctx) {
      s.n += m.k;
      ctx.reply(s.n);
    },
    async addLater(s, m, ctx) {
      await new Promise((r) => setTimeout(r, 5));
      s.n += m.k;
      ctx.reply(s.n);
    },
  },
});
type TallyP = NonNullable<(typeof Tally)['__protocol']>;

const systems = testSystems({ name: 'wd' });

describe('the watchdog and idle actors', () => {
  it('a watched actor with maxHandlerMs 200 answers one ask, idles 1 s, and keeps its state', async () => {
    const sys = await systems.start();
    const events = recordEvents(sys);
    const Sup = supervisorOf('sup', [
      { id: 'sync', start: { def: Tally }, maxHandlerMs: 200 },
      { id: 'async', start: { def: Tally }, maxHandlerMs: 200 },
    ]);
    const sup = sys.spawn(Sup, { name: 'sup' });
    await sys.allStarted();
    const syncRef: ActorRef<TallyP> = { system: 'wd', path: 'sup/sync' };
    const asyncRef: ActorRef<TallyP> = { system: 'wd', path: 'sup/async' };
    expect(await sys.ask(syncRef, 'add', { k: 7 }, { timeout: 1000 })).toBe(7);
    expect(await sys.ask(asyncRef, 'addLater', { k: 5 }, { timeout: 1000 })).toBe(5);
    // Idle for five times the limit: what the test is about, not a timing assertion.
    await new Promise((r) => setTimeout(r, 1000));
    const kids = await sys.ask(sup, 'whichChildren', {}, { timeout: 1000 });
    expect(kids.map((k) => [k.id, k.restarts])).toEqual([
      ['sync', 0],
      ['async', 0],
    ]);
    expect(events.filter((e) => e.kind === 'hung' || e.kind === 'crashed')).toEqual([]);
    expect(await sys.ask(syncRef, 'add', { k: 1 }, { timeout: 1000 })).toBe(8);
    expect(await sys.ask(asyncRef, 'add', { k: 1 }, { timeout: 1000 })).toBe(6);
  });
});
