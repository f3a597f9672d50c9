import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ActorRef,
  ActorSystem,
  defineActor,
  defineSupervisor,
  InvalidArgument,
  type ProtocolOf,
} from '../../index.ts';

const systems: ActorSystem[] = [];
async function start(): Promise<ActorSystem> {
  const s = await ActorSystem.start({ name: 'unbounded', logLevel: 'silent' });
  systems.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown({ timeoutMs: 5000 })));
});

const BURST = 50_000;

function sinkDef(mailbox?: { capacity: number }) {
  let done: (n: number) => void = () => {};
  const finished = new Promise<number>((res) => {
    done = res;
  });
  const Sink = defineActor({
    type: 'sink',
    state: () => ({ seen: 0, last: -1, ordered: true }),
    tells: { n: z.object({ i: z.number().int() }) },
    ...(mailbox ? { mailbox } : {}),
    handle: {
      n(s, m) {
        if (m.i !== s.last + 1) s.ordered = false;
        s.last = m.i;
        s.seen++;
        if (s.seen === BURST) done(s.ordered ? s.seen : -1);
      },
    },
  });
  return { Sink, finished };
}

/** Tells the whole burst from one handler invocation, so none is handled before the last is sent. */
type SinkP = ProtocolOf<ReturnType<typeof sinkDef>['Sink']>;

function producerOf() {
  return defineActor({
    type: 'producer',
    state: (to: ActorRef<SinkP>) => to,
    tells: { go: z.object({}) },
    handle: {
      go(to, _m, ctx) {
        for (let i = 0; i < BURST; i++) ctx.tell(to, 'n', { i });
      },
    },
  });
}

describe('unbounded mailbox (capacity Infinity)', () => {
  it('takes a burst of 50k tells from one handler without MailboxFull, in order', async () => {
    const sys = await start();
    const { Sink, finished } = sinkDef({ capacity: Number.POSITIVE_INFINITY });
    const sink = sys.spawn(Sink, { name: 'sink' });
    const producer = sys.spawn(producerOf(), { name: 'p', args: sink });
    const events: string[] = [];
    const off = sys.on((e) => {
      if (e.kind === 'crashed') events.push(e.reason);
    });
    sys.tell(producer, 'go', {});
    expect(await finished).toBe(BURST);
    off();
    expect(events).toEqual([]);
    expect((await sys.deadLetters()).count).toBe(0);
  });

  it('as a spawn option too; the default bound still fails the same burst', async () => {
    const sys = await start();
    const roomy = sinkDef();
    const sink = sys.spawn(roomy.Sink, {
      name: 'roomy',
      mailbox: { capacity: Number.POSITIVE_INFINITY },
    });
    sys.tell(sys.spawn(producerOf(), { args: sink }), 'go', {});
    expect(await roomy.finished).toBe(BURST);

    // Control: the default 10 000 with overflow fail makes the producer's handler throw.
    const tight = sinkDef();
    const crashed = new Promise<string>((res) => {
      const off = sys.on((e) => {
        if (e.kind === 'crashed' && e.path.startsWith('tight-p')) {
          off();
          res(e.reason);
        }
      });
    });
    const t = sys.spawn(tight.Sink, { name: 'tight' });
    sys.tell(sys.spawn(producerOf(), { name: 'tight-p', args: t }), 'go', {});
    expect(await crashed).toMatch(/mailbox of tight is full/);
  });

  it('is accepted in a child spec, and nonsense capacities are refused everywhere', async () => {
    const sys = await start();
    const { Sink } = sinkDef();
    const Sup = defineSupervisor({
      type: 'sup',
      strategy: 'one_for_one',
      children: [
        { id: 'sink', start: { def: Sink, mailbox: { capacity: Number.POSITIVE_INFINITY } } },
      ],
    });
    sys.spawn(Sup, { name: 'sup' });
    await sys.allStarted();
    expect(sys.lookup('sup/sink')).toBeDefined();

    for (const capacity of [0, -1, 1.5, Number.NaN, Number.NEGATIVE_INFINITY, 1e9]) {
      expect(() =>
        defineActor({
          type: 'bad',
          state: () => null,
          mailbox: { capacity },
          handle: {},
        }),
      ).toThrow(InvalidArgument);
      expect(() => sys.spawn(Sink, { mailbox: { capacity } })).toThrow(InvalidArgument);
    }
    expect(() =>
      defineActor({
        type: 'bad',
        state: () => null,
        mailbox: { overflow: 'block' as never },
        handle: {},
      }),
    ).toThrow(/overflow/);
  });
});
