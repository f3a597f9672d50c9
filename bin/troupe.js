#!/usr/bin/env node
// The troupe CLI, compiled to dist/ by `npm run build` (which `npm ci`, `npm pack` and `npm test`
// run). Users' own TypeScript modules are loaded by `troupe up` through tsx, lazily.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/deploy/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('troupe: dist/ is missing: run `npm run build` in the troupe checkout\n');
  process.exit(1);
}
await import(cli.href);
