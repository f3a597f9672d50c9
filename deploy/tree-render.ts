import type { TreeRow } from '../runtime/remote/control-protocol.ts';
import { uptime } from './human-units.ts';

/**
 * The supervision tree as text: one line per actor, indented under its parent path, with
 * node, status, restart count, last failure and uptime.
 */
export function renderTree(
  rows: readonly TreeRow[],
  opts: { all?: boolean; width?: number } = {},
): string {
  const shown = rows.filter((r) => opts.all || !r.path.startsWith('sys/'));
  const byPath = new Map(shown.map((r) => [r.path, r]));
  // The parent of a row is its longest shown ancestor path: a remote child sits under its
  // supervisor even though another node reported it. Siblings keep the order they came in.
  const kids = new Map<string | null, TreeRow[]>();
  for (const r of shown) {
    const segs = r.path.split('/');
    let parent: string | null = null;
    for (let i = segs.length - 1; i > 0 && parent === null; i--) {
      const p = segs.slice(0, i).join('/');
      if (byPath.has(p)) parent = p;
    }
    const list = kids.get(parent) ?? [];
    list.push(r);
    kids.set(parent, list);
  }
  const ordered: { row: TreeRow; name: string }[] = [];
  const walk = (parent: string | null, depth: number): void => {
    for (const r of kids.get(parent) ?? []) {
      const name = parent === null ? r.path : r.path.slice(parent.length + 1);
      ordered.push({
        row: r,
        name: `${'  '.repeat(depth)}${depth > 0 ? '└ ' : ''}${name}${r.supervisor ? '/' : ''}`,
      });
      walk(r.path, depth + 1);
    }
  };
  walk(null, 0);
  const header = ['ACTOR', 'TYPE', 'NODE', 'STATUS', 'RESTARTS', 'UPTIME', 'LAST FAILURE'];
  const table = ordered.map(({ row: r, name }) => [
    name,
    r.type,
    r.node,
    r.status,
    String(r.restarts),
    uptime(r.uptimeMs),
    r.lastFailure ?? '-',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .slice(0, opts.width ?? 200);
  return [line(header), ...table.map(line)].join('\n');
}
