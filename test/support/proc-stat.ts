// What the process tests read from /proc/<pid>/stat (Linux). The command name in parentheses may
// hold spaces, so fields are counted from the last `)`: state, then ppid, then process group.
import { readFileSync } from 'node:fs';

/** The fields after the command name, or undefined once the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Whether the process runs: it exists and is not a zombie waiting for its parent. */
export function procAlive(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z';
}

/** The process group the process leads or belongs to. */
export function processGroup(pid: number): number {
  const fields = statFields(pid);
  if (fields === undefined) throw new Error(`no process ${pid}`);
  return Number(fields[2]);
}
