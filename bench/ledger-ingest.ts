// ledger.ingest: audit events/s from the first ctx.audit() to the last fsynced ledger leaf, on a
// real nats-server with JetStream (file storage): actors emit through the kernel's audit API, the
// batching sink publishes one stream message per actor and tick with a Nats-Msg-Id, the ledger
// actor reads the stream with its own cursor and group-commits (fdatasync before the batch
// counts). The peer, in the same run on the same server: the same events published with raw
// nats.js JetStream async publish (Promise.all over chunks of 1000, one event per message, each
// with its Nats-Msg-Id) and only acknowledged, nothing consumed, nothing fsynced by the client.
// Run: node --import tsx -e "import('./bench/ledger-ingest.ts').then(async m => console.log(await m.default.run()))"
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { z } from 'zod';
import { encodeAuditEvent, startAuditLedger } from '../actors/ledger/index.ts';
import { ActorSystem, type AuditEvent, defineActor } from '../index.ts';
import { startNatsServer, stopAllNatsServers } from '../test/support/nats-server.ts';
import { type Bench, type BenchResult, higherIsBetter, median } from './types.ts';

const EVENTS = Number(process.env.TROUPE_BENCH_AUDIT_EVENTS ?? 100_000);
const AGENTS = 4;
const ROUNDS = 3;
const CHUNK = 1000;
/** Events one handler call emits before it sends itself the rest (handlers stay short). */
const PER_CALL = 250;

const Agent = defineActor({
  type: 'bench-agent',
  state: () => ({ sent: 0 }),
  tells: { run: z.object({ total: z.number().int() }).strict() },
  handle: {
    run(s, m, ctx) {
      const end = Math.min(m.total, s.sent + PER_CALL);
      for (let i = s.sent; i < end; i++) {
        ctx.audit('tool.call', { step: i, tool: 'shell', args: ['ls', '-la'], ok: i % 7 !== 0 });
      }
      if (end < m.total) ctx.tell(ctx.self, 'run', m);
      return { sent: end };
    },
  },
});

function sameEvent(i: number): AuditEvent {
  return {
    id: `peer-${i}`,
    kind: 'tool.call',
    system: 'peer',
    node: 'bench',
    actor: `agent-${i % AGENTS}`,
    at: Date.now(),
    trace: null,
    data: { step: i, tool: 'shell', args: ['ls', '-la'], ok: i % 7 !== 0 },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const bench: Bench = {
  names: ['ledger.ingest'],
  async run(): Promise<BenchResult[]> {
    const server = await startNatsServer();
    const base = mkdtempSync(join(tmpdir(), 'troupe-bench-ingest-'));
    const nc = await connect({ servers: server.url, user: server.user, pass: server.pass });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({
        name: 'PEER',
        subjects: ['peer.>'],
        storage: StorageType.File,
        duplicate_window: 600_000_000_000,
      });
      const js = jetstream(nc);

      const mine: number[] = [];
      const theirs: number[] = [];
      const facts: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // troupe: a fresh system, stream and ledger per round.
        const name = `ingest${round}`;
        const sys = await ActorSystem.start({
          name,
          logLevel: 'silent',
          transport: server.transport,
        });
        const ledger = await startAuditLedger(sys, {
          dir: join(base, name),
          origin: `bench.troupe.internal/${name}`,
          auditAlerts: false,
        });
        const agents = Array.from({ length: AGENTS }, (_, i) =>
          sys.spawn(Agent, { name: `agent-${i}` }),
        );
        await sleep(50);
        const t0 = performance.now();
        for (const a of agents) sys.tell(a, 'run', { total: EVENTS / AGENTS });
        for (;;) {
          await sys.whenQuiescent();
          if (ledger.sink!.stats().emitted >= EVENTS) break;
          await sleep(1);
        }
        await ledger.sink!.flush();
        const target = BigInt(ledger.sink!.stats().lastSeq);
        for (;;) {
          const st = await ledger.status();
          if (BigInt(st.cursor) >= target) break;
          await sleep(2);
        }
        const s = (performance.now() - t0) / 1000;
        mine.push(EVENTS / s);
        const stats = ledger.sink!.stats();
        const st = await ledger.status();
        facts.push(
          `${stats.batches} stream messages (${(EVENTS / stats.batches).toFixed(0)} events each), ${st.size} leaves`,
        );
        await ledger.close();
        await sys.shutdown();

        // The peer: the same events, one JetStream message each, async publish in chunks.
        const encoded = Array.from({ length: EVENTS }, (_, i) =>
          encodeAuditEvent(sameEvent(round * EVENTS + i)),
        );
        const p0 = performance.now();
        for (let i = 0; i < EVENTS; i += CHUNK) {
          const acks: Promise<unknown>[] = [];
          for (let j = i; j < Math.min(EVENTS, i + CHUNK); j++) {
            acks.push(
              js.publish(`peer.bench.agent-${j % AGENTS}`, encoded[j]!, {
                msgID: `peer-${round * EVENTS + j}`,
              }),
            );
          }
          await Promise.all(acks);
        }
        theirs.push(EVENTS / ((performance.now() - p0) / 1000));
      }
      const value = median(mine);
      const peerValue = median(theirs);
      return [
        {
          name: 'ledger.ingest',
          unit: 'events/s',
          value: Math.round(value),
          peer: 'raw nats.js JetStream async publish of the same events, one per message (acked only)',
          peerValue: Math.round(peerValue),
          ratio: higherIsBetter(value, peerValue),
          notes: `${EVENTS} events from ${AGENTS} actors via ctx.audit → batching sink → JetStream (file, R1, nats-server ${nc.info?.version}) → ledger actor (ordered consumer, group commit with fdatasync), first emit to last fsynced leaf; ${facts[facts.length >> 1]}; median of ${ROUNDS}; runs ${mine.map((x) => Math.round(x)).join('/')} vs ${theirs.map((x) => Math.round(x)).join('/')}`,
        },
      ];
    } finally {
      await nc.close();
      await stopAllNatsServers();
      rmSync(base, { recursive: true, force: true });
    }
  },
};

export default bench;
