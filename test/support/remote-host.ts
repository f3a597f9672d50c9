// A separate process that hosts RemoteWorker children for supervisors on other nodes.
import { RemoteWorker } from './defs.ts';
import { runHostProcess } from './host-process.ts';

await runHostProcess({ heartbeatMs: 150 }, async (sys) => {
  sys.host(RemoteWorker);
  return undefined;
});
