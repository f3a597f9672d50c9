import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BenchResult } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = resolve(ROOT, 'bench/results/latest.json');

/** Every bench module, each run in its own process. Names are what it reports. */
const MODULES: { file: string; names: string[] }[] = [
  {
    file: 'bench/kernel-local.ts',
    names: ['local.tell', 'local.ask', 'local.spawn', 'local.bytesPerActor'],
  },
  {
    file: 'bench/kernel-classic.ts',
    names: ['local.burst', 'local.fanIn', 'local.spawnStop', 'local.validated'],
  },
  { file: 'bench/kernel-nats.ts', names: ['nats.tell', 'nats.ask.seq', 'nats.ask.1000'] },
  { file: 'bench/telemetry.ts', names: ['local.tell.telemetry', 'nats.tell.telemetry'] },
  { file: 'bench/mesh-crypto.ts', names: ['mesh.handshake', 'mesh.bytes'] },
  { file: 'bench/mesh-tell.ts', names: ['mesh.tell'] },
  {
    file: 'bench/supervision.ts',
    names: ['supervision.restart.p50', 'supervision.restart.p99', 'supervision.crashStorm'],
  },
  { file: 'bench/ledger-offline.ts', names: ['ledger.verify', 'ledger.prove'] },
  { file: 'bench/ledger-ingest.ts', names: ['ledger.ingest'] },
  { file: 'bench/cli-startup.ts', names: ['cli.startup'] },
  {
    file: 'bench/agent.ts',
    names: ['agent.step', 'agent.step.openaiAgents', 'agent.bytesPerIdleAgent'],
  },
  { file: 'bench/process.ts', names: ['process.restart.p50', 'process.restart.p99'] },
  { file: 'bench/team.ts', names: ['team.pipeline', 'team.fanOut', 'team.fanOut.nats'] },
  { file: 'bench/interop.ts', names: ['a2a.send', 'mcp.call'] },
];

function runChild(file: string, log: (l: string) => void): Promise<BenchResult[]> {
  return new Promise((res, rej) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--max-old-space-size=4096',
        '--import',
        'tsx',
        resolve(ROOT, 'bench/child.ts'),
        file,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    child.on('exit', (code) => {
      const i = out.indexOf('@@RESULTS@@');
      if (code !== 0 || i < 0) {
        rej(new Error(`${file} failed (exit ${code}):\n${out.slice(-2000)}`));
        return;
      }
      const before = out.slice(0, i).trim();
      if (before) log(before);
      res(JSON.parse(out.slice(i + 11)) as BenchResult[]);
    });
  });
}

function fmt(n: number | null): string {
  if (n === null) return '-';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

/** Run the benchmarks whose names match `filter` (all by default) and merge into latest.json. */
export async function runBenchmarks(
  filter: string | undefined,
  log: (l: string) => void,
): Promise<number> {
  const picked = MODULES.filter((m) => !filter || m.names.some((n) => n.includes(filter)));
  if (picked.length === 0) {
    log(`no benchmark matches ${filter}; known: ${MODULES.flatMap((m) => m.names).join(', ')}`);
    return 2;
  }
  const previous: BenchResult[] = existsSync(OUT)
    ? (JSON.parse(readFileSync(OUT, 'utf8')) as BenchResult[])
    : [];
  const fresh: BenchResult[] = [];
  for (const m of picked) {
    log(`running ${m.file} …`);
    fresh.push(...(await runChild(m.file, log)));
  }
  const byName = new Map(previous.map((r) => [r.name, r]));
  for (const r of fresh) byName.set(r.name, r);
  const order = MODULES.flatMap((m) => m.names);
  const all = [...byName.values()].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(all, null, 2)}\n`);
  log('');
  log(
    `${'name'.padEnd(28)}${'value'.padStart(16)} unit        ${'peer value'.padStart(14)}  ratio  peer`,
  );
  for (const r of fresh) {
    log(
      `${r.name.padEnd(28)}${fmt(r.value).padStart(16)} ${r.unit.padEnd(11)} ${fmt(r.peerValue).padStart(14)}  ${(r.ratio === null ? '-' : r.ratio.toFixed(2)).padStart(5)}  ${r.peer ?? '(none on this machine)'}`,
    );
  }
  log(`\nwrote ${OUT}`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  process.exitCode = await runBenchmarks(process.argv[2], (l) => process.stdout.write(`${l}\n`));
}
