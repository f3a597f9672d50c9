// Team patterns beside the same graphs in LangGraph.js, in the same run: a 5-step pipeline and a
// fan-out to 10 members with a gather, members instant (no model), runs one after another on
// both sides. And the fan-out over NATS with its members spread over 4 processes, beside raw
// nats.js scatter-gather requests to responders in the same processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { connect } from '@nats-io/transport-node';
import { fanOut, type PatternDef, pipeline, RunAsk } from '../actors/patterns/index.ts';
import { type ActorRef, ActorSystem, defineActor } from '../index.ts';
import { startNatsServer, stopAllNatsServers } from '../test/support/nats-server.ts';
import { type Bench, type BenchResult, compared } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ROUNDS = 3;
const RUNS = 2_000;
const LG_RUNS = 200;
const NATS_RUNS = 1_000;

const Instant = defineActor({
  type: 'instant',
  state: () => null,
  asks: { run: RunAsk },
  handle: { run: (_s, m, ctx) => ctx.reply(m.input) },
});
type RunP = NonNullable<PatternDef['__protocol']>;

async function rate(runs: number, one: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(50, runs); i++) await one(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await one();
  return runs / ((performance.now() - t0) / 1000);
}

const Chain = Annotation.Root({ value: Annotation<string> });
const Gathered = Annotation.Root({
  value: Annotation<string>,
  outs: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

function langGraphPipeline() {
  // Typed builders change type with each node added; built in a loop, the chain is untyped.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  let g: any = new StateGraph(Chain);
  for (let i = 0; i < 5; i++)
    g = g.addNode(`s${i}`, (s: { value: string }) => ({ value: s.value }));
  g = g.addEdge(START, 's0');
  for (let i = 0; i < 4; i++) g = g.addEdge(`s${i}`, `s${i + 1}`);
  return g.addEdge('s4', END).compile() as { invoke(s: unknown): Promise<unknown> };
}

function langGraphFanOut() {
  const names = Array.from({ length: 10 }, (_, i) => `m${i}`);
  // biome-ignore lint/suspicious/noExplicitAny: see langGraphPipeline
  let g: any = new StateGraph(Gathered);
  for (const n of names) g = g.addNode(n, (s: { value: string }) => ({ outs: [s.value] }));
  g = g.addNode('gather', (s: { outs: string[] }) => ({ value: String(s.outs.length) }));
  for (const n of names) g = g.addEdge(START, n);
  return g.addEdge(names, 'gather').addEdge('gather', END).compile() as {
    invoke(s: unknown): Promise<unknown>;
  };
}

async function local(): Promise<BenchResult[]> {
  const sys = await ActorSystem.start({ name: 'teambench', logLevel: 'silent' });
  try {
    const member = (i: number) => ({ def: Instant, name: `m${i}` });
    const pipe = sys.spawn(pipeline([0, 1, 2, 3, 4].map(member)), {
      name: 'pipe',
    }) as ActorRef<RunP>;
    const fan = sys.spawn(fanOut({ to: Array.from({ length: 10 }, (_, i) => member(i)) }), {
      name: 'fan',
    }) as ActorRef<RunP>;
    await sys.allStarted();
    const lgPipe = langGraphPipeline();
    const lgFan = langGraphFanOut();
    const p: number[] = [];
    const lp: number[] = [];
    const f: number[] = [];
    const lf: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      p.push(await rate(RUNS, () => sys.ask(pipe, 'run', { input: 'x' }, { timeout: 5_000 })));
      lp.push(await rate(LG_RUNS, () => lgPipe.invoke({ value: 'x' })));
      f.push(await rate(RUNS, () => sys.ask(fan, 'run', { input: 'x' }, { timeout: 5_000 })));
      lf.push(await rate(LG_RUNS, () => lgFan.invoke({ value: 'x' })));
    }
    const notes =
      'members instant (no model); runs one after another; every step audited (memory sink)';
    return [
      compared('team.pipeline', 'runs/s', p, 'LangGraph.js StateGraph, 5 nodes in sequence', lp, {
        notes,
      }),
      compared(
        'team.fanOut',
        'runs/s',
        f,
        'LangGraph.js StateGraph, 10 parallel nodes + gather',
        lf,
        { notes },
      ),
    ];
  } finally {
    await sys.shutdown({ timeoutMs: 5_000 });
  }
}

function startHost(args: string[]): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(ROOT, 'bench/team-host.ts'), ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error('team host not ready in 60 s')), 60_000);
    child.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes('ready')) {
        clearTimeout(t);
        res(child);
      }
    });
    child.once('exit', (code) => rej(new Error(`team host exited with ${code}`)));
  });
}

async function overNats(): Promise<BenchResult> {
  const server = await startNatsServer({ jetstream: false });
  const hosts: ChildProcess[] = [];
  try {
    const names = Array.from({ length: 10 }, (_, i) => `m${i}`);
    // 10 members over 4 processes: 3, 3, 2, 2.
    const groups = [names.slice(0, 3), names.slice(3, 6), names.slice(6, 8), names.slice(8)];
    for (const [i, g] of groups.entries()) {
      hosts.push(await startHost([server.url, server.user, server.pass, `host${i}`, ...g]));
    }
    const sys = await ActorSystem.start({
      name: 'teambench',
      node: 'caller',
      logLevel: 'silent',
      transport: server.transport,
    });
    const nc = await connect({ servers: server.url, user: server.user, pass: server.pass });
    try {
      const fan = sys.spawn(fanOut({ to: names.map((n) => ({ system: 'teambench', path: n })) }), {
        name: 'fan',
      }) as ActorRef<RunP>;
      await sys.allStarted();
      const payload = new TextEncoder().encode(JSON.stringify('x'));
      const mine: number[] = [];
      const raw: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        mine.push(
          await rate(NATS_RUNS, () => sys.ask(fan, 'run', { input: 'x' }, { timeout: 5_000 })),
        );
        raw.push(
          await rate(NATS_RUNS, () =>
            Promise.all(names.map((n) => nc.request(`raw.team.${n}`, payload, { timeout: 5_000 }))),
          ),
        );
      }
      return compared(
        'team.fanOut.nats',
        'runs/s',
        mine,
        'raw nats.js: 10 requests in parallel to the same 4 processes',
        raw,
        {
          notes: '10 members over 4 processes (3/3/2/2) on one nats-server; the caller in a fifth',
        },
      );
    } finally {
      await nc.close();
      await sys.shutdown({ timeoutMs: 5_000 });
    }
  } finally {
    for (const h of hosts) h.kill('SIGTERM');
    await stopAllNatsServers();
  }
}

const bench: Bench = {
  names: ['team.pipeline', 'team.fanOut', 'team.fanOut.nats'],
  async run(): Promise<BenchResult[]> {
    return [...(await local()), await overNats()];
  },
};
export default bench;
