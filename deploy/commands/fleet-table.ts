import { InvalidArgument } from '../../runtime/index.ts';

/** What ps, top, logs and events share: number flags and column layout. */

/** A whole number flag of at least `min`, or a clear error naming it. */
export function wholeFlag(
  text: string | undefined,
  flag: string,
  min: number,
  dflt: number,
): number {
  if (text === undefined) return dflt;
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text) || Number(text) < min) {
    throw new InvalidArgument(
      `${flag} must be a whole number ≥ ${min} (got ${JSON.stringify(text)})`,
    );
  }
  return Number(text);
}

/** Columns padded to their widest cell; the last one runs free; lines cut at `width`. */
export function table(header: string[], rows: string[][], width = 200): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd()
      .slice(0, width);
  return [line(header), ...rows.map(line)].join('\n');
}
