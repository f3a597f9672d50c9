import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Run a TypeScript file of the project in its own Node process; resolves once its output matches `ready`. */
export async function spawnTs(
  file: string,
  args: string[],
  opts: { readyTimeoutMs?: number; env?: NodeJS.ProcessEnv; ready?: RegExp } = {},
): Promise<ChildProcess & { output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, file), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  await new Promise<void>((res, rej) => {
    const t = setTimeout(
      () => rej(new Error(`${file} not ready after ${opts.readyTimeoutMs ?? 60_000} ms:\n${out}`)),
      opts.readyTimeoutMs ?? 60_000,
    );
    const check = (): void => {
      if ((opts.ready ?? /ready/).test(out)) {
        clearTimeout(t);
        res();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`${file} exited with ${code}:\n${out}`));
    });
  });
  return Object.assign(child, { output: () => out });
}

export async function stopChild(
  c: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill(signal);
  const t = setTimeout(() => c.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

/** Poll `f` until it resolves without throwing, or give up. */
export async function eventually<T>(
  f: () => Promise<T>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await f();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
