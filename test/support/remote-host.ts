// A separate process that hosts RemoteWorker children for supervisors on other nodes.
import { ActorSystem } from '../../index.ts';
import { RemoteWorker } from './defs.ts';

const [servers, user, pass, system, node] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const sys = await ActorSystem.start({
  name: system,
  node,
  logLevel: 'silent',
  heartbeatMs: 150,
  transport: { kind: 'nats', servers, user, pass },
});
sys.host(RemoteWorker);
await sys.flush();
process.stdout.write('ready\n');
const stop = async () => {
  await sys.shutdown({ timeoutMs: 2000 });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
