// vitest globalSetup: the CLI runs from dist/, so tests that spawn it must see the current
// sources compiled. Rebuilds (incrementally) only when a source file is newer than the build.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const SOURCES = ['index.ts', 'protocols', 'runtime', 'actors', 'deploy'];
const STAMP = join(ROOT, 'dist/.tsbuildinfo');

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return path.endsWith('.ts') ? st.mtimeMs : 0;
  let m = 0;
  for (const e of readdirSync(path)) m = Math.max(m, newest(join(path, e)));
  return m;
}

export default function setup(): void {
  const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
  const sources = Math.max(
    ...SOURCES.map((s) => newest(join(ROOT, s))),
    newest(join(ROOT, 'tsconfig.build.json')),
  );
  if (built >= sources && existsSync(join(ROOT, 'dist/deploy/cli.js'))) return;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  // tsc leaves its build info alone when nothing changed: stamp it, or every run rebuilds.
  if (existsSync(STAMP)) utimesSync(STAMP, new Date(), new Date());
}
