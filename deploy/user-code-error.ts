import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The user's own code failed (loading their module, `setup` or `run`). It carries the original
 * error as `cause` and knows which stack frames are the user's, so the CLI can point at their
 * file:line instead of troupe's internals.
 */
export class UserCodeError extends Error {
  override readonly name = 'UserCodeError';
  constructor(
    message: string,
    /** The user's module (absolute path); frames under its folder, outside node_modules, are theirs. */
    readonly module: string,
    options: { cause: unknown; hint?: string },
  ) {
    super(message, { cause: options.cause });
    this.hint = options.hint;
  }
  readonly hint: string | undefined;

  /** The first frames of the cause's stack that are in the user's code, as `file:line:col`. */
  userFrames(max = 5): string[] {
    const stack = (this.cause as { stack?: unknown })?.stack;
    if (typeof stack !== 'string') return [];
    const root = dirname(this.module) + sep;
    const frames: string[] = [];
    for (const line of stack.split('\n')) {
      const m = /^\s+at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/.exec(line);
      if (!m) continue;
      let file = m[2]!;
      if (file.startsWith('file://')) file = fileURLToPath(file);
      if (!file.startsWith(root) || file.includes(`${sep}node_modules${sep}`)) continue;
      frames.push(`${m[1] ? `${m[1]} ` : ''}${file}:${m[3]}:${m[4]}`);
      if (frames.length === max) break;
    }
    return frames;
  }
}
