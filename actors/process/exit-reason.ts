import type { Limits } from './limits.ts';

const MEMORY = /heap out of memory|bad_alloc|Cannot allocate memory|Allocation failed|ENOMEM/i;

/**
 * An agent process's exit as a supervision exit reason: `normal` for a clean exit, else what
 * killed it, naming the limit when a limit did (memory: V8's heap limit or an allocation that
 * RLIMIT_DATA refused, or the cgroup's OOM killer; CPU: SIGXCPU from RLIMIT_CPU).
 */
export function exitReason(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderrTail: string,
  limits: Limits | undefined,
  oomKilled: boolean,
): { reason: string; abnormal: boolean } {
  if (code === 0 && signal === null) return { reason: 'normal', abnormal: false };
  const mem = limits?.memoryMb;
  const line = stderrTail
    .split('\n')
    .map((l) => l.trim())
    .find((l) => MEMORY.test(l));
  if (mem !== undefined && (oomKilled || line !== undefined)) {
    return {
      reason: `memory limit exceeded (limits.memoryMb=${mem}): ${oomKilled ? 'killed by the cgroup OOM killer' : line}`,
      abnormal: true,
    };
  }
  if (signal === 'SIGXCPU' && limits?.cpuSeconds !== undefined) {
    return {
      reason: `cpu time limit exceeded (limits.cpuSeconds=${limits.cpuSeconds})`,
      abnormal: true,
    };
  }
  if (signal !== null) return { reason: `killed by ${signal}`, abnormal: true };
  const last = stderrTail.trim().split('\n').pop()?.trim();
  return {
    reason: `exited with code ${code}${last ? `: ${last.slice(0, 300)}` : ''}`,
    abnormal: true,
  };
}
