// Supervision figures beside an Erlang/OTP one_for_one supervisor (bench/peers/), same run.
import { z } from 'zod';
import {
  type ActorRef,
  ActorSystem,
  type ChildInfo,
  defineActor,
  defineSupervisor,
} from '../index.ts';
import { compileOtp, otpMissing } from './otp-peer.ts';
import { type Bench, type BenchResult, higherIsBetter, lowerIsBetter } from './types.ts';

const env = (k: string, d: number): number => {
  const v = process.env[k];
  return v === undefined || v === '' ? d : Number(v);
};
/** Restart latency: samples kept, after WARMUP dropped, one supervisor, back to back. */
const SAMPLES = env('BENCH_RESTART_SAMPLES', 10_000);
const WARMUP = env('BENCH_RESTART_WARMUP', 1_000);
/** The same from a fresh supervisor: FRESH_ROUNDS × (FRESH_WARMUP dropped + FRESH_SAMPLES). */
const FRESH_ROUNDS = 10;
const FRESH_WARMUP = 100;
const FRESH_SAMPLES = 1_000;
/** Crash storm: CHILDREN children, WINDOW crashes in flight, STORM_MS after STORM_WARMUP_MS. */
const CHILDREN = 1_000;
const WINDOW = env('BENCH_STORM_WINDOW', 100);
const STORM_MS = env('BENCH_STORM_MS', 10_000);
const STORM_WARMUP_MS = 1_000;
/** OTP restart intensity is at most `intensity` restarts in `period` s: high, never reached. */
const INTENSITY = 1_000_000;
const PERIOD = 1;
/** Without an OTP peer on the machine, the target for the restart p99. */
const TARGET_P99_MS = 0.5;

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

// ---- troupe ----------------------------------------------------------------------------

let crashedAt = 0;
let onPing: ((ms: number) => void) | null = null;

/** Records the time just before it throws on `crash`; `ping` is the next message it handles. */
const Worker = defineActor({
  type: 'bench-worker',
  state: () => null,
  tells: { crash: z.object({}), ping: z.object({}) },
  handle: {
    crash() {
      crashedAt = performance.now();
      throw new Error('crash');
    },
    ping() {
      onPing?.(performance.now() - crashedAt);
    },
  },
});
type WorkerP = NonNullable<(typeof Worker)['__protocol']>;

const supervisorOf = (n: number, type: string) =>
  defineSupervisor({
    type,
    strategy: 'one_for_one',
    intensity: INTENSITY,
    period: PERIOD,
    children: Array.from({ length: n }, (_, i) => ({ id: `w${i}`, start: { def: Worker } })),
  });
const One = supervisorOf(1, 'bench-sup');
const Many = supervisorOf(CHILDREN, 'bench-storm');

/** Supervisor started, children running: the first ask is handled after its start hook. */
async function startSupervisor(sys: ActorSystem, def: typeof One, name: string) {
  const ref = sys.spawn(def, { name });
  await sys.ask(ref, 'countChildren', {}, { timeout: 30_000 });
  return ref;
}

/** Check that the supervisor restarted its children `expected` times in all. */
async function assertRestarts(sys: ActorSystem, ref: ActorRef, expected: number): Promise<void> {
  const kids = (await sys.ask(ref, 'whichChildren', {}, { timeout: 30_000 })) as ChildInfo[];
  const n = kids.reduce((a, k) => a + k.restarts, 0);
  if (n !== expected) throw new Error(`${ref.path}: ${n} restarts, expected ${expected}`);
}

/** `n` samples, ms: crash, with `ping` queued right behind it in the same mailbox. */
async function restartSamples(sys: ActorSystem, ref: ActorRef<WorkerP>, n: number) {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const next = new Promise<number>((r) => {
      onPing = r;
    });
    sys.tell(ref, 'crash', {});
    sys.tell(ref, 'ping', {});
    out[i] = await next;
  }
  onPing = null;
  return out;
}

/** Back to back in one supervisor, then from fresh supervisors (restart history empty). */
async function troupeRestart(): Promise<{ steady: Float64Array; fresh: Float64Array }> {
  const sys = await ActorSystem.start({ name: 'bench', logLevel: 'silent' });
  const sup = await startSupervisor(sys, One, 'sup');
  const ref = sys.lookup<WorkerP>('sup/w0')!;
  await restartSamples(sys, ref, WARMUP);
  const steady = await restartSamples(sys, ref, SAMPLES);
  await assertRestarts(sys, sup, WARMUP + SAMPLES);
  const fresh = new Float64Array(FRESH_ROUNDS * FRESH_SAMPLES);
  for (let r = 0; r < FRESH_ROUNDS; r++) {
    const fsup = await startSupervisor(sys, One, `fresh${r}`);
    const f = sys.lookup<WorkerP>(`fresh${r}/w0`)!;
    await restartSamples(sys, f, FRESH_WARMUP);
    fresh.set(await restartSamples(sys, f, FRESH_SAMPLES), r * FRESH_SAMPLES);
    await assertRestarts(sys, fsup, FRESH_WARMUP + FRESH_SAMPLES);
  }
  await sys.shutdown({ timeoutMs: 30_000 });
  return { steady, fresh };
}

/**
 * Keep `window` crashes in flight: each `restarted` event is answered by crashing another
 * random child not in flight, until `ms` have passed; then wait for those in flight.
 */
function storm(
  sys: ActorSystem,
  refs: ActorRef<WorkerP>[],
  index: Map<string, number>,
  ms: number,
  window = WINDOW,
): Promise<{ restarts: number; seconds: number }> {
  const n = refs.length;
  const inFlight = new Uint8Array(n);
  let flying = 0;
  let restarts = 0;
  const t0 = performance.now();
  const deadline = t0 + ms;
  const crashOne = (): void => {
    let i: number;
    do i = (Math.random() * n) | 0;
    while (inFlight[i] === 1);
    inFlight[i] = 1;
    flying++;
    sys.tell(refs[i]!, 'crash', {});
  };
  return new Promise((res) => {
    const off = sys.on((e) => {
      if (e.kind !== 'restarted') return;
      const i = index.get(e.path);
      if (i === undefined || inFlight[i] === 0) return;
      inFlight[i] = 0;
      flying--;
      restarts++;
      if (performance.now() < deadline) crashOne();
      else if (flying === 0) {
        off();
        res({ restarts, seconds: (performance.now() - t0) / 1000 });
      }
    });
    for (let k = 0; k < window; k++) crashOne();
  });
}

async function troupeStorm() {
  const sys = await ActorSystem.start({ name: 'bench', logLevel: 'silent' });
  const sup = await startSupervisor(sys, Many, 'storm');
  const refs: ActorRef<WorkerP>[] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < CHILDREN; i++) {
    const path = `storm/w${i}`;
    refs.push(sys.lookup<WorkerP>(path)!);
    index.set(path, i);
  }
  // The supervisor keeps the times of its restarts in the last period (the intensity check):
  // heap is measured after a quiet period and one more restart, so that history holds one.
  const heap = async (): Promise<number> => {
    await new Promise((r) => setTimeout(r, PERIOD * 1000 + 100));
    await storm(sys, refs, index, 0, 1);
    await tick();
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const warm = await storm(sys, refs, index, STORM_WARMUP_MS);
  const heapBefore = await heap();
  const r = await storm(sys, refs, index, STORM_MS);
  const heapAfter = await heap();
  await assertRestarts(sys, sup, warm.restarts + r.restarts + 2);
  await sys.shutdown({ timeoutMs: 30_000 });
  return { ...r, perSec: r.restarts / r.seconds, heapBefore, heapAfter };
}

// ---- OTP peer --------------------------------------------------------------------------

interface OtpResult {
  otp: string;
  schedulers: number;
  restart: { samples: number; p50Ms: number; p99Ms: number };
  restartFresh: { samples: number; p50Ms: number; p99Ms: number };
  storm: {
    children: number;
    window: number;
    restarts: number;
    seconds: number;
    perSec: number;
    memTotalBefore: number;
    memTotalAfter: number;
    memProcessesBefore: number;
    memProcessesAfter: number;
  };
}

/** Compile the peer into a temporary directory (no .beam in the tree) and run it. */
async function otpPeer(): Promise<OtpResult> {
  const peer = await compileOtp(['otp_sup_bench.erl', 'otp_sup_worker.erl']);
  try {
    const args = [SAMPLES, WARMUP, FRESH_ROUNDS, FRESH_WARMUP, FRESH_SAMPLES];
    const storm = [CHILDREN, STORM_MS, STORM_WARMUP_MS, WINDOW];
    return await peer.run<OtpResult>(
      'otp_sup_bench',
      [...args, ...storm],
      2 * (STORM_MS + STORM_WARMUP_MS) + 120_000,
    );
  } finally {
    peer.close();
  }
}

// ---- report ----------------------------------------------------------------------------

/** The value at quantile `p` (nearest rank), as the peer computes it. */
function pct(xs: Float64Array, p: number): number {
  const s = Float64Array.from(xs).sort();
  return s[Math.max(0, Math.min(s.length - 1, Math.ceil(p * s.length) - 1))]!;
}

const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(2)} MiB`;

const bench: Bench = {
  names: ['supervision.restart.p50', 'supervision.restart.p99', 'supervision.crashStorm'],
  async run(): Promise<BenchResult[]> {
    const mine = await troupeRestart();
    const st = await troupeStorm();
    const p50 = pct(mine.steady, 0.5);
    const p99 = pct(mine.steady, 0.99);
    const f50 = pct(mine.fresh, 0.5);
    const f99 = pct(mine.fresh, 0.99);

    let otp: OtpResult | null = null;
    let why = otpMissing() ?? '';
    if (why === '') {
      try {
        otp = await otpPeer();
      } catch (err) {
        why = `the OTP peer failed: ${err instanceof Error ? err.message : String(err)}`;
      }
    }

    const peer = otp ? `OTP ${otp.otp} one_for_one supervisor, gen_server worker` : null;
    const common =
      'crash = a tell whose handler records performance.now() and throws; the next message (a ' +
      'ping queued behind the crash in the same mailbox, kept across the in-place restart) ' +
      `records the time; one_for_one, intensity ${INTENSITY} in ${PERIOD} s, no backoff, ` +
      "logLevel 'silent' (the OTP peer runs with logger level none), memory transport";
    const fresh = `fresh supervisors (${FRESH_ROUNDS} × ${FRESH_SAMPLES} after ${FRESH_WARMUP}): troupe p50 ${us(f50)} p99 ${us(f99)}`;
    const otpFresh = otp
      ? `; OTP p50 ${us(otp.restartFresh.p50Ms)} p99 ${us(otp.restartFresh.p99Ms)} (OTP filters its list of restarts in the last period on every restart, so back to back its restart slows as that list grows)`
      : '';
    const latency = (name: string, value: number, peerValue: number | null): BenchResult => ({
      name,
      unit: 'ms',
      value,
      peer,
      peerValue,
      ratio: peerValue === null ? null : lowerIsBetter(value, peerValue),
      notes:
        `${SAMPLES} restarts back to back in one supervisor after ${WARMUP} dropped; ${common}; ` +
        `${fresh}${otpFresh}` +
        (otp
          ? `; OTP ${otp.schedulers} schedulers`
          : `; no peer (${why}): target p99 < ${TARGET_P99_MS} ms, ${p99 < TARGET_P99_MS ? 'met' : 'NOT met'}`),
    });
    const growth = st.heapAfter - st.heapBefore;
    return [
      latency('supervision.restart.p50', p50, otp?.restart.p50Ms ?? null),
      latency('supervision.restart.p99', p99, otp?.restart.p99Ms ?? null),
      {
        name: 'supervision.crashStorm',
        unit: 'restarts/s',
        value: st.perSec,
        peer,
        peerValue: otp?.storm.perSec ?? null,
        ratio: otp ? higherIsBetter(st.perSec, otp.storm.perSec) : null,
        notes:
          `${CHILDREN} permanent children under one one_for_one supervisor (intensity ${INTENSITY} in ${PERIOD} s), ` +
          `${WINDOW} crashes in flight, each restart answered by crashing another random child not in flight; ` +
          `${st.restarts} restarts in ${st.seconds.toFixed(2)} s after ${STORM_WARMUP_MS} ms of the same; ` +
          `heap after gc before ${mib(st.heapBefore)}, after ${mib(st.heapAfter)} ` +
          `(${growth >= 0 ? '+' : ''}${(growth / 1024).toFixed(0)} KiB; each measured after ${PERIOD} s quiet ` +
          'and one more restart, so the intensity history holds one restart)' +
          (otp
            ? `; OTP: ${otp.storm.restarts} restarts in ${otp.storm.seconds.toFixed(2)} s ` +
              '(each restart filters its list of the restarts in the last period), ' +
              `erlang:memory(total) ${mib(otp.storm.memTotalBefore)} → ${mib(otp.storm.memTotalAfter)}, ` +
              `processes ${mib(otp.storm.memProcessesBefore)} → ${mib(otp.storm.memProcessesAfter)}`
            : `; no peer (${why})`),
      },
    ];
  },
};
export default bench;
