import { decodeBody } from '../../protocols/envelope/index.ts';
import { type ActorSystem, InvalidArgument, TransportError } from '../../runtime/index.ts';
import { TreeRow as TreeRowSchema } from '../../runtime/remote/control-protocol.ts';
import { type TreeRow, treeSubject } from '../../runtime/remote/index.ts';
import { startCliClient } from '../cli-client.ts';
import type { Overrides } from '../config.ts';
import { onStopSignal } from '../stop-signal.ts';
import { renderTree } from '../tree-render.ts';

export interface TreeOptions extends Overrides {
  watch?: boolean;
  all?: boolean;
  json?: boolean;
  /** How long to wait for nodes to answer (ms). */
  waitMs?: number;
}

const Empty = new Uint8Array(0);

/** Ask every node of the system for its actors (scatter-gather on the control plane). */
export async function collectTree(sys: ActorSystem, waitMs: number): Promise<TreeRow[]> {
  const nc = sys.nats;
  if (nc === undefined)
    throw new InvalidArgument('troupe tree needs a running system on NATS (--nats <url>)');
  const rows: TreeRow[] = [];
  const replies = await nc.requestMany(treeSubject(sys.name), Empty, {
    strategy: 'stall',
    maxWait: waitMs,
    stall: 300,
  });
  for await (const m of replies) {
    if (m.data.length === 0) continue;
    const parsed = TreeRowSchema.array().safeParse(decodeBody(m.data));
    if (!parsed.success) continue;
    for (const r of parsed.data) if (r.node !== sys.node) rows.push(r);
  }
  return rows;
}

/** `troupe tree [--watch]`: the live supervision tree of a running system. */
export async function tree(o: TreeOptions, out: (line: string) => void): Promise<number> {
  const sys = await startCliClient(o);
  const waitMs = o.waitMs ?? 1500;
  const once = async (): Promise<string> => {
    const rows = await collectTree(sys, waitMs);
    if (o.json) return JSON.stringify(rows);
    const nodes = [...new Set(rows.map((r) => r.node))].sort();
    if (nodes.length === 0)
      throw new TransportError(`no node of system ${sys.name} answered on NATS`);
    const head = `system ${sys.name}: ${nodes.length} node${nodes.length > 1 ? 's' : ''} (${nodes.join(', ')})`;
    if (!o.all && rows.every((r) => r.path.startsWith('sys/')))
      return `${head}\nno actors spawned yet (troupe tree --all shows the runtime's own)`;
    return `${head}\n${renderTree(rows, { all: o.all, width: process.stdout.columns })}`;
  };
  try {
    if (!o.watch) {
      out(await once());
      return 0;
    }
    let stop = false;
    onStopSignal(() => {
      stop = true;
    });
    while (!stop) {
      const text = await once().catch((e: Error) => `troupe tree: ${e.message}`);
      out(`\x1b[2J\x1b[H${new Date().toISOString()}  (Ctrl-C to stop)\n${text}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    return 0;
  } finally {
    await sys.shutdown({ timeoutMs: 2000 });
  }
}
