import { InvalidArgument, TransportError } from '../../runtime/index.ts';
import type { TreeRow } from '../../runtime/remote/index.ts';
import { startCliClient } from '../cli-client.ts';
import type { Overrides } from '../config.ts';
import { uptime } from '../human-units.ts';
import { onStopSignal } from '../stop-signal.ts';
import { table, wholeFlag } from './fleet-table.ts';
import { selectRows } from './ps.ts';
import { collectTree } from './tree.ts';

export interface TopOptions extends Overrides {
  on?: string;
  all?: boolean;
  json?: boolean;
  /** `rate` (messages a second, the default) or `mailbox` (depth). */
  sort?: string;
  /** Refresh period in ms (default 2000). */
  interval?: string;
  /** Frames to print before exiting (default: until Ctrl-C). */
  count?: string;
  /** Most rows a frame shows (default: what fits the terminal, else 40). */
  limit?: string;
}

export interface TopRow {
  node: string;
  path: string;
  type: string;
  status: string;
  restarts: number;
  uptimeMs: number;
  mailboxDepth: number | null;
  /** Messages handled a second between the two readings; null for a row new in the second. */
  rate: number | null;
}

/** Rates from two readings of the same fleet, sorted by rate or mailbox depth, busiest first. */
export function topRows(
  before: readonly TreeRow[],
  after: readonly TreeRow[],
  elapsedMs: number,
  sort: 'rate' | 'mailbox',
): TopRow[] {
  const prev = new Map(before.map((r) => [`${r.node}|${r.path}`, r.messages]));
  const rows = after.map((r): TopRow => {
    const p = prev.get(`${r.node}|${r.path}`);
    const rate =
      p === undefined || r.messages === undefined || elapsedMs <= 0
        ? null
        : (Math.max(0, r.messages - p) * 1000) / elapsedMs;
    return {
      node: r.node,
      path: r.path,
      type: r.type,
      status: r.status,
      restarts: r.restarts,
      uptimeMs: r.uptimeMs,
      mailboxDepth: r.mailboxDepth ?? null,
      rate,
    };
  });
  const key = (t: TopRow) => (sort === 'rate' ? (t.rate ?? -1) : (t.mailboxDepth ?? -1));
  return rows.sort((a, b) => key(b) - key(a) || a.path.localeCompare(b.path));
}

export function renderTop(rows: readonly TopRow[], width?: number): string {
  return table(
    ['NODE', 'ACTOR', 'TYPE', 'STATUS', 'MSG/S', 'MAILBOX', 'RESTARTS', 'UPTIME'],
    rows.map((r) => [
      r.node,
      r.path,
      r.type,
      r.status,
      r.rate === null ? '-' : r.rate.toFixed(1),
      r.mailboxDepth === null ? '-' : String(r.mailboxDepth),
      String(r.restarts),
      uptime(r.uptimeMs),
    ]),
    width,
  );
}

/** `troupe top`: the busiest actors of a running system, refreshed until Ctrl-C (or --count frames). */
export async function top(o: TopOptions, out: (line: string) => void): Promise<number> {
  const sort = o.sort ?? 'rate';
  if (sort !== 'rate' && sort !== 'mailbox')
    throw new InvalidArgument(`--sort must be rate or mailbox (got ${JSON.stringify(sort)})`);
  const intervalMs = wholeFlag(o.interval, '--interval', 200, 2000);
  const frames = wholeFlag(o.count, '--count', 1, Number.POSITIVE_INFINITY);
  const fits = process.stdout.rows ? Math.max(5, process.stdout.rows - 4) : 40;
  const limit = wholeFlag(o.limit, '--limit', 1, fits);
  const sys = await startCliClient({ ...o, node: undefined });
  let stop = false;
  let wake: (() => void) | null = null;
  const offSignal = onStopSignal(() => {
    stop = true;
    wake?.();
  });
  const waitMs = Math.min(1500, intervalMs);
  const read = async () => {
    const rows = await collectTree(sys, waitMs);
    if (rows.length === 0)
      throw new TransportError(`no node of system ${sys.name} answered on NATS`);
    return { rows: selectRows(rows, o), at: Date.now() };
  };
  try {
    let prev = await read();
    for (let frame = 0; frame < frames && !stop; frame++) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, intervalMs);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      if (stop) break;
      const next = await read();
      const rows = topRows(prev.rows, next.rows, next.at - prev.at, sort).slice(0, limit);
      prev = next;
      if (o.json) out(JSON.stringify(rows));
      else {
        const clear = process.stdout.isTTY ? '\x1b[2J\x1b[H' : '';
        const head = `${clear}${new Date(next.at).toISOString()}  system ${sys.name}, sorted by ${sort}`;
        out(`${head}\n${renderTop(rows, process.stdout.columns)}`);
      }
    }
    return 0;
  } finally {
    offSignal();
    await sys.shutdown({ timeoutMs: 2000 });
  }
}
