// Runs the Erlang/OTP peers of bench/peers/: compiled with erlc into a temporary directory
// (no .beam is ever written into the tree), each run an `erl -noshell` whose last JSON line
// on stdout is its result.
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const PEERS = resolve(import.meta.dirname, 'peers');
const exec = promisify(execFile);

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}

/** Why no OTP peer can run on this machine, or null when `erl` and `erlc` are both here. */
export function otpMissing(): string | null {
  if (!onPath('erl')) return 'erl is not on PATH';
  if (!onPath('erlc')) return 'erlc is not on PATH';
  return null;
}

/** Compiled peer modules, ready to run; `close()` removes the temporary directory. */
export interface OtpPeer {
  /** `erl -noshell -pa <tmp> -run <module> main <args…>`: its last JSON line, parsed. */
  run<T>(module: string, args: (string | number)[], timeoutMs: number): Promise<T>;
  close(): void;
}

/** Compile `files` (names under bench/peers/) with erlc into a fresh temporary directory. */
export async function compileOtp(files: string[]): Promise<OtpPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-otp-'));
  try {
    await exec('erlc', ['-o', dir, ...files.map((f) => join(PEERS, f))], { timeout: 60_000 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    async run<T>(module: string, args: (string | number)[], timeoutMs: number): Promise<T> {
      const { stdout } = await exec(
        'erl',
        ['-noshell', '-pa', dir, '-run', module, 'main', ...args.map(String)],
        { timeout: timeoutMs, maxBuffer: 1 << 20 },
      );
      const line = stdout
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (line === undefined) throw new Error(`no result line from erl: ${stdout.slice(-500)}`);
      return JSON.parse(line) as T;
    },
    close(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
