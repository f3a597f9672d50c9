// NATS-routed figures beside raw nats.js on the same server, in the same run.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type ActorRef, ActorSystem } from '../index.ts';
import { startNatsServer, stopAllNatsServers } from '../test/support/nats-server.ts';
import { arrivals, PAYLOAD, RAW, rawTell, Sink, type SinkP, troupeTell } from './tell-sink.ts';
import { type Bench, type BenchResult, compared } from './types.ts';

const TELLS = 300_000;
const SEQ_ASKS = 5_000;
const PIPE_ASKS = 40_000;
const IN_FLIGHT = 1000;
const ROUNDS = 3;

async function troupeAskSeq(sender: ActorSystem, ref: ActorRef<SinkP>): Promise<number> {
  const body = { p: PAYLOAD };
  const t0 = performance.now();
  for (let i = 0; i < SEQ_ASKS; i++) await sender.ask(ref, 'echo', body, { timeout: 5000 });
  return SEQ_ASKS / ((performance.now() - t0) / 1000);
}

async function rawAskSeq(nc: NatsConnection, subject: string): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < SEQ_ASKS; i++) await nc.request(subject, RAW, { timeout: 5000 });
  return SEQ_ASKS / ((performance.now() - t0) / 1000);
}

/** Keep `IN_FLIGHT` requests outstanding until `PIPE_ASKS` have completed. */
async function pipelined(one: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (started < PIPE_ASKS) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return PIPE_ASKS / ((performance.now() - t0) / 1000);
}

const bench: Bench = {
  names: ['nats.tell', 'nats.ask.seq', 'nats.ask.1000'],
  async run(): Promise<BenchResult[]> {
    const server = await startNatsServer({ jetstream: false });
    const opts = { servers: server.url, user: server.user, pass: server.pass };
    try {
      // troupe: the actor and the sender on separate connections (two systems).
      const host = await ActorSystem.start({
        name: 'bench',
        node: 'host',
        logLevel: 'silent',
        transport: server.transport,
      });
      const sender = await ActorSystem.start({
        name: 'bench',
        node: 'sender',
        logLevel: 'silent',
        transport: server.transport,
      });
      host.spawn(Sink, { name: 'sink', mailbox: { capacity: 1_000_000 } });
      await host.flush();
      const ref: ActorRef<SinkP> = { system: 'bench', path: 'sink' };
      // raw nats.js: a publisher and a subscriber/responder connection.
      const pub = await connect(opts);
      const sub = await connect(opts);
      sub.subscribe('raw.sink', {
        callback: () => {
          arrivals.hit();
        },
      });
      sub.subscribe('raw.echo', {
        callback: (_e, m) => {
          m.respond(m.data);
        },
      });
      await sub.flush();
      await sender.ask(ref, 'echo', { p: PAYLOAD }, { timeout: 5000 });

      const tell: number[] = [];
      const rtell: number[] = [];
      const seq: number[] = [];
      const rseq: number[] = [];
      const pipe: number[] = [];
      const rpipe: number[] = [];
      const body = { p: PAYLOAD };
      for (let r = 0; r < ROUNDS; r++) {
        tell.push(await troupeTell(sender, ref, TELLS));
        rtell.push(await rawTell(pub, 'raw.sink', TELLS));
        seq.push(await troupeAskSeq(sender, ref));
        rseq.push(await rawAskSeq(pub, 'raw.echo'));
        pipe.push(await pipelined(() => sender.ask(ref, 'echo', body, { timeout: 10_000 })));
        rpipe.push(await pipelined(() => pub.request('raw.echo', RAW, { timeout: 10_000 })));
      }
      await sender.shutdown();
      await host.shutdown();
      await pub.close();
      await sub.close();
      return [
        compared('nats.tell', 'msg/s', tell, 'raw nats.js publish→subscribe', rtell, {
          notes: `${TELLS} tells, 128 B bodies, sender and actor on separate connections; troupe batches envelopes per subject per tick; median of ${ROUNDS}`,
        }),
        compared('nats.ask.seq', 'asks/s', seq, 'raw nats.js request/reply', rseq, {
          notes: `${SEQ_ASKS} sequential asks, 128 B; median of ${ROUNDS}`,
        }),
        compared('nats.ask.1000', 'asks/s', pipe, 'raw nats.js request, 1000 in flight', rpipe, {
          notes: `${PIPE_ASKS} asks with ${IN_FLIGHT} in flight, 128 B; median of ${ROUNDS}`,
        }),
      ];
    } finally {
      await stopAllNatsServers();
    }
  },
};
export default bench;
