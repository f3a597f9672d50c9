// A separate process hosting one instance of the sharded Worker type (see nats.test.ts).
import { ActorSystem } from '../../index.ts';
import { Worker } from './defs.ts';

const [servers, user, pass, system, name] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const sys = await ActorSystem.start({
  name: system,
  node: name,
  logLevel: 'silent',
  transport: { kind: 'nats', servers, user, pass },
});
sys.spawn(Worker, { name, shard: true });
await sys.flush();
process.stdout.write('ready\n');
const stop = async () => {
  await sys.shutdown({ timeoutMs: 2000 });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
