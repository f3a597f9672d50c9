// Cross-site tells through both bridges, beside raw nats.js publish→subscribe on one site.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { type BridgeHandle, initIdentity, startBridge } from '../actors/bridge/index.ts';
import { type ActorRef, ActorSystem } from '../index.ts';
import { startNatsServer, stopAllNatsServers } from '../test/support/nats-server.ts';
import { arrivals, rawTell, Sink, type SinkP, troupeTell } from './tell-sink.ts';
import { type Bench, type BenchResult, compared } from './types.ts';

const TELLS = 200_000;
const ROUNDS = 3;

const bench: Bench = {
  names: ['mesh.tell'],
  async run(): Promise<BenchResult[]> {
    const serverA = await startNatsServer({ jetstream: false });
    const serverB = await startNatsServer({ jetstream: false });
    const dirA = await mkdtemp(join(tmpdir(), 'troupe-bench-siteA-'));
    const dirB = await mkdtemp(join(tmpdir(), 'troupe-bench-siteB-'));
    const systems: ActorSystem[] = [];
    const start = async (name: string, node: string, transport: typeof serverA.transport) => {
      const s = await ActorSystem.start({ name, node, logLevel: 'silent', transport });
      systems.push(s);
      return s;
    };
    try {
      await initIdentity(dirA);
      await initIdentity(dirB);
      // Each site: its broker, its bridge (in a system of its own), and an application node.
      const bridgeSysA = await start('siteA', 'bridge', serverA.transport);
      const bridgeSysB = await start('siteB', 'bridge', serverB.transport);
      const bridgeA: BridgeHandle = await startBridge(bridgeSysA, {
        dir: dirA,
        listen: '127.0.0.1:0',
      });
      const bridgeB: BridgeHandle = await startBridge(bridgeSysB, {
        dir: dirB,
        listen: '127.0.0.2:0',
      });
      const { token } = await bridgeSysA.ask(bridgeA.ref, 'invite', {}, { timeout: 5000 });
      await bridgeSysB.ask(bridgeB.ref, 'join', { token }, { timeout: 15_000 });
      for (;;) {
        const peers = await bridgeSysA.ask(bridgeA.ref, 'peers', {}, { timeout: 5000 });
        if (peers[0]?.connected) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const host = await start('siteB', 'host', serverB.transport);
      const sender = await start('siteA', 'sender', serverA.transport);
      host.spawn(Sink, { name: 'sink', mailbox: { capacity: 1_000_000 } });
      await host.flush();
      const ref: ActorRef<SinkP> = { system: 'siteB', path: 'sink' };
      await sender.ask(ref, 'ping', {}, { timeout: 5000 });

      // raw nats.js on site A: a publisher and a subscriber connection.
      const opts = { servers: serverA.url, user: serverA.user, pass: serverA.pass };
      const pub = await connect(opts);
      const sub = await connect(opts);
      sub.subscribe('raw.sink', {
        callback: () => {
          arrivals.hit();
        },
      });
      await sub.flush();

      const mesh: number[] = [];
      const raw: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        mesh.push(await troupeTell(sender, ref, TELLS));
        raw.push(await rawTell(pub, 'raw.sink', TELLS));
      }
      await pub.close();
      await sub.close();
      return [
        compared('mesh.tell', 'msg/s', mesh, 'raw nats.js publish→subscribe, one site', raw, {
          notes:
            `${TELLS} tells of 128 B bodies from a node of site A to an actor on site B: ` +
            'sender → NATS A → bridge A → encrypted link (127.0.0.1 → 127.0.0.2) → bridge B → ' +
            `NATS B → actor; each site its own nats-server, all in one process; median of ${ROUNDS}`,
        }),
      ];
    } finally {
      for (const s of systems.reverse()) await s.shutdown({ timeoutMs: 3000 });
      await stopAllNatsServers();
      await rm(dirA, { recursive: true, force: true });
      await rm(dirB, { recursive: true, force: true });
    }
  },
};

export default bench;
