// Local kernel figures beside nact, the established Node actor library, in the same process.
import nact from 'nact';
import { z } from 'zod';
import { type ActorRef, ActorSystem, defineActor } from '../index.ts';
import { Arrivals, type Bench, type BenchResult, compared, tick } from './types.ts';

const TELLS = 2_000_000;
const ASKS = 200_000;
const SPAWNS = 100_000;
const ROUNDS = 5;
const CHUNK = 1000;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

const arrivals = new Arrivals();

const Sink = defineActor({
  type: 'sink',
  state: () => ({ sum: 0 }),
  tells: { add: z.object({ n: z.number() }) },
  asks: { get: { request: z.object({}), reply: z.number() } },
  handle: {
    add(s, m) {
      s.sum += m.n;
      arrivals.hit();
    },
    get: (s, _m, ctx) => ctx.reply(s.sum),
  },
});
type SinkP = NonNullable<(typeof Sink)['__protocol']>;
const Idle = defineActor({
  type: 'idle',
  state: () => null,
  tells: { x: z.object({}) },
  handle: { x() {} },
});

/** The same sender loop drives both: CHUNK messages, then a turn of the event loop. */
async function pump(n: number, send: () => void): Promise<number> {
  const finished = arrivals.expect(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    send();
    if (i % CHUNK === CHUNK - 1) await tick();
  }
  await finished;
  return n / ((performance.now() - t0) / 1000);
}

async function troupeTell(sys: ActorSystem, ref: ActorRef<SinkP>): Promise<number> {
  const body = { n: 1 };
  return pump(TELLS, () => sys.tell(ref, 'add', body));
}

async function nactTell(ref: nact.Ref<{ n: number }>): Promise<number> {
  const body = { n: 1 };
  return pump(TELLS, () => nact.dispatch(ref, body));
}

async function troupeAsk(sys: ActorSystem, ref: ActorRef<SinkP>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < ASKS; i++) await sys.ask(ref, 'get', {}, { timeout: 10_000 });
  return ASKS / ((performance.now() - t0) / 1000);
}

async function nactAsk(ref: nact.Ref<{ sender: nact.Ref<number> }>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < ASKS; i++)
    await nact.query(ref, (sender: nact.Ref<number>) => ({ sender }), 10_000);
  return ASKS / ((performance.now() - t0) / 1000);
}

/** Spawns per second and heap bytes per idle actor, 100k actors. */
async function troupeSpawn(): Promise<[number, number]> {
  const sys = await ActorSystem.start({ name: 'bench', logLevel: 'silent' });
  await tick();
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  for (let i = 0; i < SPAWNS; i++) sys.spawn(Idle, { name: `a${i}` });
  const rate = SPAWNS / ((performance.now() - t0) / 1000);
  await tick();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / SPAWNS;
  await sys.shutdown({ timeoutMs: 30_000 });
  return [rate, bytes];
}

async function nactSpawn(): Promise<[number, number]> {
  const system = nact.start();
  await tick();
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  for (let i = 0; i < SPAWNS; i++) nact.spawn(system, (state: unknown) => state, `a${i}`);
  const rate = SPAWNS / ((performance.now() - t0) / 1000);
  await tick();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / SPAWNS;
  nact.stop(system);
  await tick();
  return [rate, bytes];
}

const bench: Bench = {
  names: ['local.tell', 'local.ask', 'local.spawn', 'local.bytesPerActor'],
  async run(): Promise<BenchResult[]> {
    const sys = await ActorSystem.start({ name: 'bench', logLevel: 'silent' });
    const sink = sys.spawn(Sink, { name: 'sink', mailbox: { capacity: 100_000 } });
    const nsys = nact.start();
    const nsink = nact.spawn(
      nsys,
      (state: number = 0, msg: { n: number }) => {
        arrivals.hit();
        return state + msg.n;
      },
      'sink',
    );
    const nasker = nact.spawn(
      nsys,
      (state: number = 0, msg: { sender: nact.Ref<number> }) => {
        nact.dispatch(msg.sender, state);
        return state;
      },
      'asker',
    );

    const tell: number[] = [];
    const ntell: number[] = [];
    const ask: number[] = [];
    const nask: number[] = [];
    // Interleave the runs so both see the same machine noise.
    for (let r = 0; r < ROUNDS; r++) {
      tell.push(await troupeTell(sys, sink));
      ntell.push(await nactTell(nsink));
      ask.push(await troupeAsk(sys, sink));
      nask.push(await nactAsk(nasker));
      gc();
    }
    await sys.shutdown();
    nact.stop(nsys);

    const spawn: number[] = [];
    const nspawn: number[] = [];
    const bytes: number[] = [];
    const nbytes: number[] = [];
    for (let r = 0; r < 3; r++) {
      const [a, b] = await troupeSpawn();
      spawn.push(a);
      bytes.push(b);
      const [c, d] = await nactSpawn();
      nspawn.push(c);
      nbytes.push(d);
    }

    return [
      compared('local.tell', 'msg/s', tell, 'nact dispatch', ntell, {
        notes: `${TELLS} messages into one actor, sender yields every ${CHUNK}; median of ${ROUNDS}`,
      }),
      compared('local.ask', 'asks/s', ask, 'nact query', nask, {
        notes: `${ASKS} sequential asks; median of ${ROUNDS}`,
      }),
      compared('local.spawn', 'actors/s', spawn, 'nact spawn', nspawn, {
        notes: `${SPAWNS} top-level actors; median of 3`,
      }),
      compared('local.bytesPerActor', 'bytes', bytes, 'nact', nbytes, {
        lowerIsBetter: true,
        notes: `heap delta after gc / ${SPAWNS} idle actors; median of 3`,
      }),
    ];
  },
};
export default bench;
