// Runs one bench module in its own process (clean heap, no interference) and prints its results.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bench } from './types.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: child.ts <bench module>');
const mod = (await import(pathToFileURL(resolve(file)).href)) as { default: Bench };
const results = await mod.default.run();
process.stdout.write(`\n@@RESULTS@@${JSON.stringify(results)}\n`);
process.exit(0);
