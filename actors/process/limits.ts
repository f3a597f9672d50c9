import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ProcessStart } from '../../runtime/index.ts';

export type Limits = NonNullable<ProcessStart['limits']>;

/** How an agent's limits are enforced on this host, decided once per start. */
export interface LimitPlan {
  /** Command prefix that sets rlimits and execs the agent (same pid). */
  readonly wrapper: readonly string[];
  /** A cgroup v2 directory the process is moved into, when one could be made. */
  readonly cgroup: string | null;
  /** What applied, for the log line: `cgroup v2 + prlimit`, `prlimit`, `none`. */
  readonly via: string;
  /** Limits asked for that nothing here can enforce. */
  readonly unenforced: readonly string[];
}

let prlimitPath: string | null | undefined;
function findPrlimit(): string | null {
  if (prlimitPath !== undefined) return prlimitPath;
  prlimitPath = null;
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/bin']) {
    if (dir && existsSync(join(dir, 'prlimit'))) {
      prlimitPath = join(dir, 'prlimit');
      break;
    }
  }
  return prlimitPath;
}

/** Our own cgroup v2 directory when the unified hierarchy is mounted and delegated to us. */
function ownCgroup(): string | null {
  if (!existsSync('/sys/fs/cgroup/cgroup.controllers')) return null;
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (line === undefined) return null;
    return join('/sys/fs/cgroup', line.slice(3).trim());
  } catch {
    return null;
  }
}

/**
 * Plan the limits: RLIMIT_DATA (memory; RLIMIT_AS breaks V8, which reserves address space it
 * never uses), RLIMIT_CPU, RLIMIT_NOFILE and RLIMIT_NPROC through `prlimit`, and where a
 * cgroup v2 subtree is writable, `memory.max`, `cpu.max` and `pids.max` for the whole group
 * (grandchildren included). What cannot be enforced is reported, never silently dropped.
 */
export function planLimits(name: string, limits: Limits | undefined): LimitPlan {
  if (limits === undefined || Object.keys(limits).length === 0)
    return { wrapper: [], cgroup: null, via: 'none asked', unenforced: [] };
  const unenforced: string[] = [];
  let cgroup: string | null = null;
  const parent = ownCgroup();
  if (parent !== null) {
    const dir = join(parent, `troupe-${name}`);
    try {
      if (!existsSync(dir)) mkdirSync(dir);
      if (limits.memoryMb !== undefined)
        writeFileSync(join(dir, 'memory.max'), String(limits.memoryMb * 1024 * 1024));
      if (limits.processes !== undefined)
        writeFileSync(join(dir, 'pids.max'), String(limits.processes));
      if (limits.cpuPercent !== undefined)
        writeFileSync(join(dir, 'cpu.max'), `${limits.cpuPercent * 1000} 100000`);
      cgroup = dir;
    } catch {
      cgroup = null;
    }
  }
  const prlimit = findPrlimit();
  const wrapper: string[] = [];
  if (prlimit !== null) {
    wrapper.push(prlimit);
    if (limits.memoryMb !== undefined) wrapper.push(`--data=${limits.memoryMb * 1024 * 1024}`);
    if (limits.cpuSeconds !== undefined) wrapper.push(`--cpu=${limits.cpuSeconds}`);
    if (limits.openFiles !== undefined) wrapper.push(`--nofile=${limits.openFiles}`);
    // RLIMIT_NPROC counts every process of the user: a floor, pids.max is the real bound.
    if (limits.processes !== undefined) wrapper.push(`--nproc=${limits.processes}`);
    wrapper.push('--');
    if (wrapper.length === 2) wrapper.length = 0;
  } else {
    for (const k of ['memoryMb', 'cpuSeconds', 'openFiles', 'processes'] as const)
      if (limits[k] !== undefined && !(cgroup !== null && (k === 'memoryMb' || k === 'processes')))
        unenforced.push(k);
  }
  if (limits.cpuPercent !== undefined && cgroup === null) unenforced.push('cpuPercent');
  const via =
    cgroup !== null && wrapper.length > 0
      ? 'cgroup v2 + prlimit'
      : cgroup !== null
        ? 'cgroup v2'
        : wrapper.length > 0
          ? 'prlimit (no writable cgroup v2)'
          : 'none (no prlimit, no writable cgroup v2)';
  return { wrapper, cgroup, via, unenforced };
}

/** Move a started process into its cgroup. */
export function joinCgroup(dir: string, pid: number): boolean {
  try {
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    return true;
  } catch {
    return false;
  }
}

/** Whether the cgroup's OOM killer fired (memory.events oom_kill > 0). */
export function cgroupOomKilled(dir: string): boolean {
  try {
    const m = /oom_kill (\d+)/.exec(readFileSync(join(dir, 'memory.events'), 'utf8'));
    return m !== null && Number(m[1]) > 0;
  } catch {
    return false;
  }
}

export function removeCgroup(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Still populated or already gone: the next start reuses it.
  }
}
