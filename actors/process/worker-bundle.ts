import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The troupe worker entry (deploy/process-worker.ts). */
// Compiled (dist/) the entry is JavaScript; in a checkout it is the TypeScript source.
export const WORKER_ENTRY =
  [join(ROOT, 'deploy', 'process-worker.ts'), join(ROOT, 'deploy', 'process-worker.js')].find((f) =>
    existsSync(f),
  ) ?? join(ROOT, 'deploy', 'process-worker.ts');
const CACHE = join(ROOT, 'node_modules', '.cache', 'troupe-process');

const built = new Map<string, Promise<string>>();

/**
 * One JavaScript file holding the worker and the agent's module, built with esbuild once per
 * supervising process: a Node that loads a TypeScript loader and a few hundred modules spends
 * seconds starting on a loaded machine, a single bundled file tens of milliseconds.
 */
export function workerBundle(module: string): Promise<string> {
  const abs = resolve(module);
  let p = built.get(abs);
  if (p === undefined) {
    p = build(abs);
    built.set(abs, p);
    p.catch(() => built.delete(abs));
  }
  return p;
}

async function build(module: string): Promise<string> {
  const { build } = await import('esbuild');
  const contents = [
    `import * as mod from ${JSON.stringify(module)};`,
    `import { runWorker } from ${JSON.stringify(WORKER_ENTRY)};`,
    'await runWorker(mod);',
  ].join('\n');
  const r = await build({
    stdin: { contents, resolveDir: dirname(module), loader: 'ts', sourcefile: 'troupe-worker.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    // Half the bytes to parse at every start (zod is most of the bundle); names kept for errors.
    minify: true,
    keepNames: true,
    // Some dependencies are CommonJS and call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __troupeCreateRequire } from 'node:module'; const require = __troupeCreateRequire(import.meta.url);",
    },
  });
  const text = r.outputFiles[0]!.contents;
  await mkdir(CACHE, { recursive: true });
  const out = join(
    CACHE,
    `worker-${createHash('sha256').update(module).digest('hex').slice(0, 16)}.mjs`,
  );
  const tmp = `${out}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, out);
  return out;
}
