// Four classic actor workloads (a burst from one handler, fan-in, spawn-and-stop, validated
// tells), each beside the same workload in plain Erlang/OTP (bench/peers/), same run.
import { z } from 'zod';
import {
  type ActorRef,
  ActorSystem,
  defineActor,
  type Protocol,
  type ProtocolOf,
} from '../index.ts';
import { compileOtp, type OtpPeer, otpMissing } from './otp-peer.ts';
import { Arrivals, type Bench, type BenchResult, compared, median, tick } from './types.ts';

const BURST = 1_000_000;
const PRODUCERS = 60;
const PER_PRODUCER = 20_000;
const CHILDREN = 30_000;
const VALIDATED = 1_000_000;
/** Rounds on each side, interleaved; the median is kept. */
const ROUNDS = Number(process.env.BENCH_CLASSIC_ROUNDS || 5);
/** local.validated: tells per event-loop turn, as in local.tell. */
const CHUNK = 1000;
/** Room for a whole burst: a mailbox holds 10 000 by default, and overflow 'fail' throws. */
const ROOMY = { capacity: 2_000_000 };

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

// ---- troupe ----------------------------------------------------------------------------

const arrivals = new Arrivals();

const Counter = defineActor({
  type: 'counter',
  state: () => null,
  tells: { add: z.object({ n: z.number() }) },
  handle: {
    add() {
      arrivals.hit();
    },
  },
});
type CounterP = ProtocolOf<typeof Counter>;

/** Told `go`, sends `n` messages to its counter, all from that one handler invocation. */
const Producer = defineActor({
  type: 'producer',
  state: (to: ActorRef<CounterP>) => to,
  tells: { go: z.object({ n: z.number().int() }) },
  handle: {
    go(to, m, ctx) {
      const body = { n: 1 };
      for (let i = 0; i < m.n; i++) ctx.tell(to, 'add', body);
    },
  },
});

// The parent's protocol is declared apart from it: the child's args name it, and the
// parent's handler spawns the child, so `ProtocolOf<typeof Parent>` would be circular.
const parentTells = { go: z.object({ n: z.number().int() }), pong: z.object({}) };
type ParentP = Protocol<typeof parentTells, Record<never, never>>;

const replies = new Arrivals();
const stops = new Arrivals();

/** Told `ping`: tells its parent `pong` and stops itself. */
const Child = defineActor({
  type: 'child',
  state: (parent: ActorRef<ParentP>) => parent,
  tells: { ping: z.object({}) },
  handle: {
    ping(parent, _m, ctx) {
      ctx.tell(parent, 'pong', {});
      // Not awaited: a stop waits for the running handler to finish.
      void ctx.stop();
    },
  },
});

const Parent = defineActor({
  type: 'parent',
  state: () => null,
  tells: parentTells,
  handle: {
    go(_s, m, ctx) {
      const self = ctx.self as ActorRef<ParentP>;
      for (let i = 0; i < m.n; i++) ctx.tell(ctx.spawn(Child, { args: self }), 'ping', {});
    },
    pong() {
      replies.hit();
    },
  },
});

/** A 5-field record, checked field by field (and tag by tag) at receipt. */
const Record5 = z.object({
  id: z.number().int(),
  name: z.string(),
  ok: z.boolean(),
  score: z.number(),
  tags: z.array(z.string()),
});

const Checker = defineActor({
  type: 'checker',
  state: () => null,
  tells: { record: Record5 },
  handle: {
    record() {
      arrivals.hit();
    },
  },
});

/** A fresh system for each run, shut down after; the rate is per second from `t0`. */
async function withSystem(body: (sys: ActorSystem) => Promise<number>): Promise<number> {
  const sys = await ActorSystem.start({ name: 'bench', logLevel: 'silent' });
  try {
    return await body(sys);
  } finally {
    await sys.shutdown({ timeoutMs: 30_000 });
  }
}

const perSec = (n: number, t0: number): number => n / ((performance.now() - t0) / 1000);

/** How long one run may take before it is reported as stalled (a lost message hangs it). */
const STALL_MS = 60_000;

/** Await `done`; past STALL_MS, fail with what each counter saw instead of hanging. */
async function settled(what: string, done: Promise<unknown>, counts: Arrivals[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, rej) => {
    timer = setTimeout(() => {
      const seen = counts.map((c) => c.seen).join(', ');
      rej(new Error(`${what} stalled after ${STALL_MS} ms (seen: ${seen})`));
    }, STALL_MS);
  });
  try {
    await Promise.race([done, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

/** `div` shrinks the run (for quick looks and profiles; the bench runs at 1). */
function troupeBurst(div: number): Promise<number> {
  const n = BURST / div;
  return withSystem(async (sys) => {
    const counter = sys.spawn(Counter, { name: 'counter', mailbox: ROOMY });
    const producer = sys.spawn(Producer, { name: 'producer', args: counter });
    await tick();
    gc();
    const done = arrivals.expect(n);
    const t0 = performance.now();
    sys.tell(producer, 'go', { n });
    await settled('local.burst', done, [arrivals]);
    return perSec(n, t0);
  });
}

function troupeFanIn(div: number): Promise<number> {
  const per = PER_PRODUCER / div;
  return withSystem(async (sys) => {
    const counter = sys.spawn(Counter, { name: 'sink', mailbox: ROOMY });
    const producers = Array.from({ length: PRODUCERS }, (_, i) =>
      sys.spawn(Producer, { name: `p${i}`, args: counter }),
    );
    await tick();
    gc();
    const done = arrivals.expect(PRODUCERS * per);
    const t0 = performance.now();
    for (const p of producers) sys.tell(p, 'go', { n: per });
    await settled('local.fanIn', done, [arrivals]);
    return perSec(PRODUCERS * per, t0);
  });
}

function troupeSpawnStop(div: number): Promise<number> {
  const n = CHILDREN / div;
  return withSystem(async (sys) => {
    // Roomy too: every child runs (and tells pong) before the parent handles the first.
    const parent = sys.spawn(Parent, { name: 'parent', mailbox: ROOMY });
    await tick();
    const off = sys.on((e) => {
      if (e.kind === 'stopped' && e.path.startsWith('parent/')) stops.hit();
    });
    gc();
    const done = Promise.all([replies.expect(n), stops.expect(n)]);
    const t0 = performance.now();
    sys.tell(parent, 'go', { n });
    await settled('local.spawnStop', done, [replies, stops]);
    const rate = perSec(n, t0);
    off();
    const left = sys.paths().filter((p) => p.startsWith('parent/')).length;
    if (left !== 0) throw new Error(`local.spawnStop: ${left} children still in the tree`);
    return rate;
  });
}

function troupeValidated(div: number): Promise<number> {
  const n = VALIDATED / div;
  return withSystem(async (sys) => {
    const checker = sys.spawn(Checker, { name: 'checker' });
    const body = { id: 42, name: 'troupe', ok: true, score: 0.5, tags: ['a', 'b'] };
    await tick();
    gc();
    const done = arrivals.expect(n);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      sys.tell(checker, 'record', body);
      if (i % CHUNK === CHUNK - 1) await tick();
    }
    await settled('local.validated', done, [arrivals]);
    const rate = perSec(n, t0);
    const dead = (await sys.deadLetters()).count;
    if (dead !== 0) throw new Error(`local.validated: ${dead} dead letters`);
    return rate;
  });
}

// ---- the workloads, each with its peer ---------------------------------------------------

interface OtpRun {
  otp: string;
  schedulers: number;
  workload: string;
  n: number;
  us: number;
}

export interface Workload {
  name: string;
  unit: string;
  troupe: (div: number) => Promise<number>;
  /** The peer's arguments: its workload name, then sizes. */
  peerArgs: (string | number)[];
  peer: string;
  notes: string;
}

/** Exported for profiling scripts: each runs the troupe side alone. */
export const WORKLOADS: Workload[] = [
  {
    name: 'local.burst',
    unit: 'msg/s',
    troupe: troupeBurst,
    peerArgs: ['burst', BURST],
    peer: 'one process sending to another that counts',
    notes:
      `one actor's handler tells ${BURST} { n: 1 } to one other actor in a single invocation; ` +
      `until the last is handled; the receiver is spawned with mailbox { capacity: ${ROOMY.capacity} } ` +
      '(the default 10 000 with overflow fail would throw MailboxFull at the 10 001st)',
  },
  {
    name: 'local.fanIn',
    unit: 'msg/s',
    troupe: troupeFanIn,
    peerArgs: ['fanIn', PRODUCERS, PER_PRODUCER],
    peer: `${PRODUCERS} producer processes, one counting sink`,
    notes:
      `${PRODUCERS} producer actors, each told go by the driver, tell ${PER_PRODUCER} { n: 1 } ` +
      `each to one sink from that handler; until the sink has all ${PRODUCERS * PER_PRODUCER}; ` +
      `sink mailbox { capacity: ${ROOMY.capacity} } (the producers run before it)`,
  },
  {
    name: 'local.spawnStop',
    unit: 'actors/s',
    troupe: troupeSpawnStop,
    peerArgs: ['spawnStop', CHILDREN],
    peer: 'plain spawned children (no link, no monitor)',
    notes:
      `a parent's handler spawns ${CHILDREN} children (its ref as spawn args) and tells each ping; ` +
      'each tells pong to its parent and stops itself (ctx.stop()); until the parent has every ' +
      "pong and sys.on has seen every child's stopped event (then the tree holds no child); " +
      `parent mailbox { capacity: ${ROOMY.capacity} } (all children run before the parent ` +
      'handles a pong, so the default 10 000 would fail the 10 001st child); OTP: plain spawn, ' +
      'the parent counts every pong, then the driver waits until the process count is back to ' +
      'where it was (every child gone)',
  },
  {
    name: 'local.validated',
    unit: 'msg/s',
    troupe: troupeValidated,
    peerArgs: ['validated', VALIDATED],
    peer: 'a process checking a 5-field map with guards',
    notes:
      `${VALIDATED} tells from outside, ${CHUNK} per event-loop turn, of ` +
      '{ id, name, ok, score, tags: string[] } parsed at receipt by z.object({ id: int, name: ' +
      'string, ok: boolean, score: number, tags: array(string) }); OTP: one driver sends the ' +
      'same map, the receiver matches its 5 keys with is_integer, is_binary, is_boolean, ' +
      'is_number, is_list guards and checks every tag is a binary',
  },
];

const bench: Bench = {
  names: WORKLOADS.map((w) => w.name),
  async run(): Promise<BenchResult[]> {
    let why = otpMissing();
    let peer: OtpPeer | null = null;
    if (why === null) {
      try {
        peer = await compileOtp(['otp_classic_bench.erl']);
      } catch (err) {
        why = `the OTP peer did not compile: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    const out: BenchResult[] = [];
    try {
      for (const w of WORKLOADS) {
        // A full-size warm-up: after one at a tenth, the first full spawnStop still ran ~25%
        // slower (JIT and young-generation sizing), which the median of 5 would half-hide.
        await w.troupe(1);
        const mine: number[] = [];
        const theirs: number[] = [];
        let otp: OtpRun | null = null;
        // Interleaved, so both sides see the same machine noise.
        for (let r = 0; r < ROUNDS; r++) {
          gc();
          mine.push(await w.troupe(1));
          if (peer === null) continue;
          try {
            otp = await peer.run<OtpRun>('otp_classic_bench', w.peerArgs, 120_000);
            theirs.push(otp.n / (otp.us / 1e6));
          } catch (err) {
            why = `the OTP peer failed: ${err instanceof Error ? err.message : String(err)}`;
            peer.close();
            peer = null;
          }
        }
        const common = `median of ${ROUNDS}, troupe and OTP runs interleaved, troupe after one full-size warm-up run, each OTP run (a fresh erl) after one at a tenth; memory transport, logLevel silent`;
        if (otp !== null && theirs.length === ROUNDS) {
          out.push(
            compared(w.name, w.unit, mine, `OTP ${otp.otp}: ${w.peer}`, theirs, {
              notes: `${w.notes}; ${common}; OTP ${otp.schedulers} schedulers (its processes may run on every core; troupe runs on one thread)`,
            }),
          );
        } else {
          out.push({
            name: w.name,
            unit: w.unit,
            value: median(mine),
            peer: null,
            peerValue: null,
            ratio: null,
            notes: `${w.notes}; ${common}; no peer (${why})`,
          });
        }
      }
    } finally {
      peer?.close();
    }
    return out;
  },
};
export default bench;
