// A separate process hosting one instance of the sharded Worker type (see nats.test.ts).
import { Worker } from './defs.ts';
import { runHostProcess } from './host-process.ts';

await runHostProcess({}, async (sys, { node }) => {
  sys.spawn(Worker, { name: node, shard: true });
  return undefined;
});
