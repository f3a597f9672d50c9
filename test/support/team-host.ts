// A separate process hosting team members on another node (see patterns-nats.test.ts): one
// Bidder per `tag:price[:delayMs]`, each with its card in the shared registry (a KV bucket).
import { connect } from '@nats-io/transport-node';
import { natsBoard } from '../../actors/board/index.ts';
import { publishCard } from '../../actors/patterns/index.ts';
import { runHostProcess } from './host-process.ts';
import { Bidder, workHooks } from './team-members.ts';

await runHostProcess({}, async (sys, { servers, user, pass, rest }) => {
  const [bucket, ...specs] = rest as [string, ...string[]];
  const nc = await connect({ servers, user, pass });
  const board = await natsBoard(nc, bucket);
  for (const spec of specs) {
    const [tag, price, delayMs] = spec.split(':') as [string, string, string | undefined];
    const ref = sys.spawn(Bidder, {
      name: tag,
      args: { tag, price: Number(price), ...(delayMs ? { delayMs: Number(delayMs) } : {}) },
    });
    await publishCard(board, { name: tag, ref, capabilities: ['work'] });
  }
  workHooks.push((e) => process.stdout.write(`${e.event} ${e.member}\n`));
  return () => nc.close();
});
