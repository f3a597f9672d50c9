// A process hosting fan-out members for the team.fanOut.nats figure: troupe members (a `run`
// ask) and, beside them, raw nats.js responders doing the same work, on the same server.
import { connect } from '@nats-io/transport-node';
import { RunAsk } from '../actors/patterns/index.ts';
import { ActorSystem, defineActor } from '../index.ts';

const [servers, user, pass, node, ...names] = process.argv.slice(2) as string[];
const Instant = defineActor({
  type: 'instant',
  state: () => null,
  asks: { run: RunAsk },
  handle: { run: (_s, m, ctx) => ctx.reply(m.input) },
});
const sys = await ActorSystem.start({
  name: 'teambench',
  node: node!,
  logLevel: 'silent',
  transport: { kind: 'nats', servers: servers!, user: user!, pass: pass! },
});
const nc = await connect({ servers: servers!, user: user!, pass: pass! });
for (const n of names) {
  sys.spawn(Instant, { name: n });
  nc.subscribe(`raw.team.${n}`, {
    callback: (_e, m) => {
      m.respond(m.data);
    },
  });
}
await sys.flush();
await nc.flush();
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await sys.shutdown({ timeoutMs: 1000 });
  await nc.close();
  process.exit(0);
});
