import { InvalidArgument, TransportError } from '../../runtime/index.ts';
import type { TreeRow } from '../../runtime/remote/index.ts';
import { startCliClient } from '../cli-client.ts';
import type { Overrides } from '../config.ts';
import { bytes, uptime } from '../human-units.ts';
import { table } from './fleet-table.ts';
import { collectTree } from './tree.ts';

export interface PsOptions extends Overrides {
  /** Only this node's actors (`--node`). */
  on?: string;
  /** Include the runtime's own actors (sys/…). */
  all?: boolean;
  json?: boolean;
  waitMs?: number;
}

/** Rows of the nodes asked for, in node then path order; `on` must name a node that answered. */
export function selectRows(rows: readonly TreeRow[], o: { on?: string; all?: boolean }): TreeRow[] {
  const nodes = [...new Set(rows.map((r) => r.node))].sort();
  if (o.on !== undefined && !nodes.includes(o.on)) {
    throw new InvalidArgument(
      `node ${o.on} did not answer (nodes: ${nodes.length ? nodes.join(', ') : 'none'})`,
    );
  }
  return rows
    .filter((r) => (o.all || !r.path.startsWith('sys/')) && (o.on === undefined || r.node === o.on))
    .sort((a, b) => a.node.localeCompare(b.node) || a.path.localeCompare(b.path));
}

/** `troupe ps` as text: one line per actor with its process columns when it is one. */
export function renderPs(rows: readonly TreeRow[], width?: number): string {
  const header = [
    'NODE',
    'ACTOR',
    'TYPE',
    'STATUS',
    'RESTARTS',
    'UPTIME',
    'MAILBOX',
    'PID',
    'RSS',
    'CPU',
    'LAST FAILURE',
  ];
  return table(
    header,
    rows.map((r) => [
      r.node,
      r.path,
      r.type,
      r.status,
      String(r.restarts),
      uptime(r.uptimeMs),
      r.mailboxDepth === undefined ? '-' : String(r.mailboxDepth),
      r.process ? String(r.process.pid) : '-',
      r.process ? bytes(r.process.rssBytes) : '-',
      r.process ? `${(r.process.cpuMs / 1000).toFixed(1)}s` : '-',
      r.lastFailure ?? '-',
    ]),
    width,
  );
}

/** `troupe ps`: every actor and agent of a running system, across its nodes. */
export async function ps(o: PsOptions, out: (line: string) => void): Promise<number> {
  const sys = await startCliClient({ ...o, node: undefined });
  try {
    const all = await collectTree(sys, o.waitMs ?? 1500);
    if (all.length === 0)
      throw new TransportError(`no node of system ${sys.name} answered on NATS`);
    const rows = selectRows(all, o);
    out(o.json ? JSON.stringify(rows) : renderPs(rows, process.stdout.columns));
    return 0;
  } finally {
    await sys.shutdown({ timeoutMs: 2000 });
  }
}
