import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { decodeBody } from '../../protocols/envelope/index.ts';
import { InvalidArgument, NoSuchActor, TransportError } from '../../runtime/index.ts';
import type { TreeRow } from '../../runtime/remote/index.ts';
import { startCliClient } from '../cli-client.ts';
import type { Overrides } from '../config.ts';
import { logSubject } from '../node-log.ts';
import { untilStopSignal } from '../stop-signal.ts';
import { wholeFlag } from './fleet-table.ts';
import { collectTree } from './tree.ts';

export interface LogsOptions extends Overrides {
  agent: string;
  follow?: boolean;
  /** The node's log file (`troupe up --log-file`), for an actor that is not its own process. */
  logFile?: string;
  /** Lines of history to print first (default 50). */
  lines?: string;
  json?: boolean;
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const QUIET = new Set(['level', 'time', 'msg', 'system', 'node', 'actor', 'pid', 'hostname']);

/** One pino line for humans: time, level, node, actor, message, the other fields. */
export function formatLogLine(o: Record<string, unknown>): string {
  const at = typeof o.time === 'number' ? new Date(o.time).toISOString() : '-';
  const level = LEVELS[o.level as number] ?? String(o.level ?? '-');
  const rest = Object.entries(o)
    .filter(([k]) => !QUIET.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const head = `${at} ${level.padEnd(5)} ${String(o.node ?? '-')} ${String(o.actor ?? '-')}`;
  return `${head} ${String(o.msg ?? '')}${rest ? ` ${rest}` : ''}`;
}

/** Is this line about `agent` (the actor itself or one below it)? */
function about(o: Record<string, unknown>, agent: string): boolean {
  const a = o.actor;
  return typeof a === 'string' && (a === agent || a.startsWith(`${agent}/`));
}

/**
 * Reads a growing file line by line from `offset`; `poll` picks up what was appended since.
 * A file that shrank (rotated, truncated) is read again from its start.
 */
class FileTail {
  private rest = '';
  constructor(
    private readonly file: string,
    private offset = 0,
  ) {}

  poll(): string[] {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return [];
    }
    if (size < this.offset) {
      this.offset = 0;
      this.rest = '';
    }
    if (size === this.offset) return [];
    const fd = openSync(this.file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size - this.offset, 8 << 20));
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      const text = this.rest + buf.subarray(0, n).toString('utf8');
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      return lines;
    } finally {
      closeSync(fd);
    }
  }
}

function parseLine(line: string): Record<string, unknown> | null {
  try {
    const o = JSON.parse(line) as unknown;
    return typeof o === 'object' && o !== null ? (o as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * `troupe logs <agent> [-f]`: an agent process's own log file (the `process.logFile` its row
 * carries), or the lines about the actor in its node's log: from `--log-file` (what
 * `troupe up --log-file` writes), or live from `troupe.<sys>.evt.<node>.log` with `-f`.
 */
export async function logs(o: LogsOptions, out: (line: string) => void): Promise<number> {
  if (o.agent === '' || o.agent.startsWith('/') || o.agent.endsWith('/'))
    throw new InvalidArgument(`${JSON.stringify(o.agent)} is not an actor path (e.g. team/coder)`);
  const lines = wholeFlag(o.lines, '--lines', 0, 50);
  if (o.logFile !== undefined && !existsSync(o.logFile))
    throw new InvalidArgument(`--log-file ${o.logFile} does not exist`);
  const sys = await startCliClient({ ...o, node: undefined });
  try {
    const rows = await collectTree(sys, 1500);
    if (rows.length === 0)
      throw new TransportError(`no node of system ${sys.name} answered on NATS`);
    const mine = rows.filter((r) => r.path === o.agent);
    const row: TreeRow | undefined = mine.find((r) => r.status === 'running') ?? mine[0];
    if (row === undefined) throw new NoSuchActor(`${o.agent} (system ${sys.name})`);
    const own = row.process?.logFile;
    if (own !== undefined) {
      // An agent process writes its own log: show it as it is, filtered by nothing.
      await showFile(own, lines, o.follow === true, null, o.json === true, out);
      return 0;
    }
    if (o.logFile !== undefined) {
      await showFile(o.logFile, lines, o.follow === true, o.agent, o.json === true, out);
      return 0;
    }
    if (!o.follow) {
      throw new InvalidArgument(
        `${o.agent} runs inside node ${row.node}: its lines are in that node's log; pass ` +
          '--log-file <file> (the file `troupe up --log-file` writes) or -f to follow it live',
      );
    }
    const nc = sys.nats!;
    const sub = nc.subscribe(logSubject(sys.name, row.node), {
      callback: (_err, m) => {
        try {
          const line = decodeBody(m.data) as Record<string, unknown>;
          if (typeof line === 'object' && line !== null && about(line, o.agent))
            out(o.json ? JSON.stringify(line) : formatLogLine(line));
        } catch {
          // not a log line
        }
      },
    });
    await nc.flush();
    await untilStopSignal();
    sub.unsubscribe();
    return 0;
  } finally {
    await sys.shutdown({ timeoutMs: 2000 });
  }
}

async function showFile(
  file: string,
  lines: number,
  follow: boolean,
  agent: string | null,
  json: boolean,
  out: (line: string) => void,
): Promise<void> {
  if (!existsSync(file)) throw new InvalidArgument(`log file ${file} does not exist`);
  const emit = (line: string): boolean => {
    if (line.trim() === '') return false;
    const o = parseLine(line);
    if (agent !== null && (o === null || !about(o, agent))) return false;
    out(json || o === null ? line : formatLogLine(o));
    return true;
  };
  const tail = new FileTail(file);
  const history = tail.poll().filter((l) => {
    if (l.trim() === '') return false;
    if (agent === null) return true;
    const o = parseLine(l);
    return o !== null && about(o, agent);
  });
  for (const l of history.slice(Math.max(0, history.length - lines))) emit(l);
  if (!follow) return;
  const timer = setInterval(() => {
    for (const l of tail.poll()) emit(l);
  }, 200);
  await untilStopSignal();
  clearInterval(timer);
}
