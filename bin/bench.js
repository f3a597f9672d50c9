#!/usr/bin/env node
// `npm run bench [-- <name filter>]`
import { register } from 'tsx/esm/api';

register();
const { runBenchmarks } = await import('../bench/run.ts');
process.exitCode = await runBenchmarks(process.argv[2], (l) => process.stdout.write(`${l}\n`));
