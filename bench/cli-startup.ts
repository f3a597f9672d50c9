// CLI start-up, beside bare Node measured in the same run on the same machine:
//   cli.startup  wall ms of `troupe --help` (the compiled CLI in dist/, no TypeScript loader,
//                no command module loaded), against `node -e 0`. Target: at most 3× bare Node
//                (ratio ≥ 0.33) and under 150 ms. `troupe --version` is measured too (notes).
// Runs alternate between the three so load on the shared machine hits each alike.
// Run: npm run bench -- cli.startup
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Bench, compared, median } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = resolve(ROOT, 'bin/troupe.js');
const RUNS = Number(process.env.TROUPE_BENCH_CLI_RUNS ?? 21);

function wallMs(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const bench: Bench = {
  names: ['cli.startup'],
  async run() {
    if (!existsSync(resolve(ROOT, 'dist/deploy/cli.js')))
      throw new Error('cli.startup needs the compiled CLI: run `npm run build` first');
    const help: number[] = [];
    const version: number[] = [];
    const bare: number[] = [];
    // One warm-up each: the first spawn pays for the file cache.
    wallMs([BIN, '--help']);
    wallMs(['-e', '0']);
    for (let i = 0; i < RUNS; i++) {
      bare.push(wallMs(['-e', '0']));
      help.push(wallMs([BIN, '--help']));
      version.push(wallMs([BIN, '--version']));
    }
    return [
      compared('cli.startup', 'ms', help, 'node -e 0', bare, {
        lowerIsBetter: true,
        notes: `troupe --help median ${median(help).toFixed(1)} ms, --version ${median(version).toFixed(1)} ms, node -e 0 ${median(bare).toFixed(1)} ms; ${(median(help) / median(bare)).toFixed(2)}× bare node (target ≤ 3×, < 150 ms); ${RUNS} runs each, interleaved`,
      }),
    ];
  },
};
export default bench;
