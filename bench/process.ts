// Process agents: ms from `kill -9` of an agent's process to its replacement answering an ask,
// beside a plain bash respawn loop running the same node worker, in the same run.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  agentIdentity,
  agentPassword,
  OPERATOR_USER,
  operatorPassword,
  processLauncher,
  serveNats,
} from '../actors/process/index.ts';
import { workerBundle } from '../actors/process/worker-bundle.ts';
import type { Bootstrap } from '../actors/process/worker-protocol.ts';
import { type ActorRef, ActorSystem, actorRef, defineSupervisor } from '../index.ts';
import { PidAgent } from './process-agent.ts';
import { type Bench, type BenchResult, median } from './types.ts';

const SAMPLES = Number(process.env.BENCH_PROCESS_SAMPLES || 30);
const WARMUP = 2;
const SYS = 'pbench';
const MODULE = resolve(import.meta.dirname, 'process-agent.ts');
/** osModa's published restart time for a crashed agent (systemd unit restart), a fixed reference. */
const OSMODA_MS = 6_000;
type PidP = NonNullable<(typeof PidAgent)['__protocol']>;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** Ask until a process other than `old` answers; ms since `t0`. */
async function replaced(
  sys: ActorSystem,
  ref: ActorRef<PidP>,
  old: number,
  t0: number,
): Promise<number> {
  const end = t0 + 60_000;
  for (;;) {
    try {
      const pid = await sys.ask(ref, 'pid', {}, { timeout: 250 });
      if (pid !== old) return performance.now() - t0;
    } catch {
      // Not there yet (no responders, or the old one's last moments).
    }
    if (performance.now() > end) throw new Error(`${ref.path} not back within 60 s`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function samples(sys: ActorSystem, ref: ActorRef<PidP>, n: number): Promise<number[]> {
  const out: number[] = [];
  await replaced(sys, ref, -1, performance.now());
  for (let i = 0; i < n + WARMUP; i++) {
    const pid = await sys.ask(ref, 'pid', {}, { timeout: 30_000 });
    const t0 = performance.now();
    process.kill(pid, 'SIGKILL');
    const ms = await replaced(sys, ref, pid, t0);
    if (i >= WARMUP) out.push(ms);
  }
  return out;
}

const bench: Bench = {
  names: ['process.restart.p50', 'process.restart.p99'],
  async run(): Promise<BenchResult[]> {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-pbench-'));
    const key = new Uint8Array(32).fill(7);
    const nats = await serveNats({
      system: SYS,
      agents: [
        { path: 'sup/w', peers: [] },
        { path: 'loop/w', peers: [] },
      ],
      masterKey: key,
    });
    const sys = await ActorSystem.start({
      name: SYS,
      logLevel: 'silent',
      transport: {
        kind: 'nats',
        servers: nats.url,
        user: OPERATOR_USER,
        pass: operatorPassword(key, SYS),
      },
      processes: processLauncher({
        workspaceRoot: join(dir, 'ws'),
        logRoot: join(dir, 'logs'),
        masterKey: key,
        logLevel: 'warn',
      }),
    });
    let loop: ChildProcess | null = null;
    try {
      // troupe: a one_for_one supervisor with the agent as a process child.
      const Sup = defineSupervisor({
        type: 'pbench-sup',
        strategy: 'one_for_one',
        intensity: 1_000_000,
        period: 1,
        children: [{ id: 'w', start: { def: PidAgent, process: { module: MODULE } } }],
      });
      sys.spawn(Sup, { name: 'sup' });
      await sys.allStarted();
      const mine = await samples(sys, actorRef<PidP>(SYS, 'sup/w'), SAMPLES);

      // Peer: bash `while true` running the same bundled worker, bootstrap from a file.
      const bundle = await workerBundle(MODULE);
      const id = agentIdentity(SYS, 'loop/w');
      const boot: Bootstrap = {
        v: 1,
        system: SYS,
        node: id.node,
        path: 'loop/w',
        type: PidAgent.type,
        supervisorPath: 'loop',
        settings: { restart: 'permanent', shutdownMs: 5000, maxHandlerMs: null, heartbeatMs: null },
        restarts: 0,
        nats: {
          servers: nats.url,
          user: id.user,
          pass: agentPassword(key, SYS, 'loop/w'),
          inboxPrefix: id.inboxPrefix,
        },
        secrets: {},
        workspace: dir,
        logFile: '/dev/null',
        heartbeatMs: 1000,
        logLevel: 'warn',
      };
      const bootFile = join(dir, 'boot.json');
      writeFileSync(bootFile, JSON.stringify(boot), { mode: 0o600 });
      loop = spawn('bash', ['-c', 'while true; do "$NODE" "$BUNDLE" 3<"$BOOT"; done'], {
        cwd: dir,
        env: {
          NODE: process.execPath,
          BUNDLE: bundle,
          BOOT: bootFile,
          PATH: process.env.PATH ?? '',
        },
        stdio: 'ignore',
        detached: true,
      });
      const theirs = await samples(sys, actorRef<PidP>(SYS, 'loop/w'), SAMPLES);

      const bare: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        execFileSync(process.execPath, ['-e', '0']);
        bare.push(performance.now() - t);
      }
      const notes =
        `${SAMPLES} kill -9 → replacement answers an ask (after ${WARMUP} warm-up), agent under a one_for_one ` +
        `supervisor, worker bundled by esbuild; peer: bash while-true loop running the same bundled worker; ` +
        `bare \`node -e 0\` here: ${median(bare).toFixed(0)} ms (Node's own start-up dominates both); ` +
        `osModa's published crash-to-restart time: ${OSMODA_MS} ms (fixed reference, not measured here); ` +
        `target: ≤ 2× the loop and p99 < 500 ms`;
      const fig = (name: string, p: number): BenchResult => {
        const value = pct(mine, p);
        const peerValue = pct(theirs, p);
        return {
          name,
          unit: 'ms',
          value,
          peer: `bash respawn loop (same node worker); osModa ${OSMODA_MS} ms`,
          peerValue,
          ratio: peerValue / value,
          notes,
        };
      };
      return [fig('process.restart.p50', 50), fig('process.restart.p99', 99)];
    } finally {
      if (loop?.pid) {
        try {
          process.kill(-loop.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await sys.shutdown({ timeoutMs: 20_000 });
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default bench;
