import { RemoteError, TroupeError } from '../runtime/index.ts';
import { LedgerCheckFailed } from './commands/ledger.ts';
import { UserCodeError } from './user-code-error.ts';

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ');

/** What the CLI prints for a failed command: one line, and for the user's own code, where. */
export function formatError(err: unknown): string {
  if (err instanceof UserCodeError) {
    const cause = err.cause as Error | undefined;
    const name = cause?.name && cause.name !== 'Error' ? `${cause.name}: ` : '';
    // esbuild's message already names file:line:col and shows the source line: keep it whole.
    const text =
      /Transform failed/.test(String(cause?.message)) || err.message.includes('\n')
        ? err.message
        : oneLine(err.message);
    const frames = err.userFrames().map((f) => `    at ${f}`);
    const hint = err.hint ? [`  hint: ${err.hint}`] : [];
    return `${[`troupe: ${name}${text}`, ...frames, ...hint].join('\n')}\n`;
  }
  const e = err as Error;
  // An error from another process keeps its code (e.g. UnknownPeer); typed errors keep their
  // name (it says what kind of fault); a failed check is its message alone.
  const typed =
    err instanceof TroupeError ||
    (!(err instanceof LedgerCheckFailed) &&
      /^[A-Z]\w*Error$/.test(e.name ?? '') &&
      e.name !== 'Error');
  const label = err instanceof RemoteError ? `${err.code}: ` : typed ? `${e.name}: ` : '';
  return `troupe: ${label}${oneLine(String(e?.message ?? e))}\n`;
}
