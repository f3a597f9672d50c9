// The CLI tests check many command lines that must be refused: each is a run, an exit code and
// what stderr says. A table of them reads better than a run and two expects per line.
import { expect } from 'vitest';
import type { Run } from './troupe-cli.ts';

/** What stderr says: a piece of it, a pattern it matches, or `{ exactly }`: all of it, trimmed. */
export type Says = string | RegExp | { exactly: string };

/** A command line the CLI refuses: the line, its exit code, what it says on stderr. */
export type Refusal = readonly [args: string[], code: number, says: Says];

/** Runs each case in turn (they may share one system) and checks it is refused as it says. */
export async function expectRefusals(
  run: (args: string[]) => Promise<Run>,
  cases: readonly Refusal[],
): Promise<void> {
  for (const [args, code, says] of cases) {
    const r = await run(args);
    const what = args.join(' ');
    expect(r.code, what).toBe(code);
    if (typeof says === 'string') expect(r.stderr, what).toContain(says);
    else if (says instanceof RegExp) expect(r.stderr, what).toMatch(says);
    else expect(r.stderr.trim(), what).toBe(says.exactly);
  }
}
