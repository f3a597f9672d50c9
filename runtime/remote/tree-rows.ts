import type { Cell } from '../cell.ts';
import { isSupervisorDef } from '../supervision/child-spec.ts';
import type { TreeRow } from './control-protocol.ts';

/** The actors under `root`, depth first in start order, as `troupe tree` shows them. */
export function treeRowsOf(root: Cell, node: string): TreeRow[] {
  const now = Date.now();
  const rows: TreeRow[] = [];
  const visit = (c: Cell): void => {
    rows.push({
      path: c.path,
      type: c.def.type,
      node,
      status: c.ext?.hung ? 'hung' : c.statusName,
      restarts: c.restarts,
      lastFailure: c.lastFailure,
      uptimeMs: now - c.startedAt,
      supervisor: isSupervisorDef(c.def),
      supervisedBy: c.opts?.remote ? `${c.opts.remote.path}@${c.opts.remote.node}` : null,
      mailboxDepth: c.mailbox?.length ?? 0,
      messages: c.handled,
    });
    for (let k = c.firstChild; k !== null; k = k.next) visit(k);
  };
  for (let c = root.firstChild; c !== null; c = c.next) visit(c);
  return rows;
}
