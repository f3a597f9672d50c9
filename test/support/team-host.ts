// A separate process hosting team members on another node (see patterns-nats.test.ts): one
// Bidder per `tag:price[:delayMs]`, each with its card in the shared registry (a KV bucket).
import { connect } from '@nats-io/transport-node';
import { natsBoard } from '../../actors/board/index.ts';
import { publishCard } from '../../actors/patterns/index.ts';
import { ActorSystem } from '../../index.ts';
import { Bidder, workHooks } from './team-members.ts';

const [servers, user, pass, system, node, bucket, ...specs] = process.argv.slice(2) as string[];
const sys = await ActorSystem.start({
  name: system!,
  node: node!,
  logLevel: 'silent',
  transport: { kind: 'nats', servers: servers!, user: user!, pass: pass! },
});
const nc = await connect({ servers: servers!, user: user!, pass: pass! });
const board = await natsBoard(nc, bucket!);
for (const spec of specs) {
  const [tag, price, delayMs] = spec.split(':') as [string, string, string | undefined];
  const ref = sys.spawn(Bidder, {
    name: tag,
    args: { tag, price: Number(price), ...(delayMs ? { delayMs: Number(delayMs) } : {}) },
  });
  await publishCard(board, { name: tag, ref, capabilities: ['work'] });
}
workHooks.push((e) => process.stdout.write(`${e.event} ${e.member}\n`));
await sys.flush();
process.stdout.write('ready\n');
const stop = async () => {
  await sys.shutdown({ timeoutMs: 2000 });
  await nc.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
