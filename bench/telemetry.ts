// What metrics and tracing cost: the same tells with telemetry on (Prometheus counters, handler
// latency sampling, OpenTelemetry spans for 1% of traces into a real SDK pipeline) beside the
// same run with it off, interleaved so both see the same machine noise.
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { startTelemetry } from '../actors/telemetry/index.ts';
import { type ActorRef, ActorSystem } from '../index.ts';
import { startNatsServer, stopAllNatsServers } from '../test/support/nats-server.ts';
import { Sink, type SinkP, troupeTell } from './tell-sink.ts';
import { type Bench, type BenchResult, compared } from './types.ts';

const LOCAL_TELLS = 1_000_000;
const NATS_TELLS = 300_000;
const ROUNDS = 5;
const RATIO = 0.01;

/** The SDK pipeline up to the wire: spans are batched and handed over, then dropped. */
class DiscardExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

async function telemetryOn(sys: ActorSystem, exporter: DiscardExporter) {
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  const t = await startTelemetry(sys, { metrics: {}, tracing: { ratio: RATIO, provider } });
  return {
    close: async () => {
      await t.close();
      await provider.shutdown();
    },
  };
}

const bench: Bench = {
  names: ['local.tell.telemetry', 'nats.tell.telemetry'],
  async run(): Promise<BenchResult[]> {
    const exporter = new DiscardExporter();
    // Local: two systems in one process, one with telemetry.
    const off = await ActorSystem.start({ name: 'bench', node: 'off', logLevel: 'silent' });
    const on = await ActorSystem.start({ name: 'bench', node: 'on', logLevel: 'silent' });
    const tOn = await telemetryOn(on, exporter);
    const offRef = off.spawn(Sink, { name: 'sink', mailbox: { capacity: 1_000_000 } });
    const onRef = on.spawn(Sink, { name: 'sink', mailbox: { capacity: 1_000_000 } });
    const lOff: number[] = [];
    const lOn: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      lOff.push(await troupeTell(off, offRef, LOCAL_TELLS));
      lOn.push(await troupeTell(on, onRef, LOCAL_TELLS));
    }
    await tOn.close();
    await off.shutdown();
    await on.shutdown();

    // NATS: sender and actor on separate connections, twice: once with telemetry on both.
    const server = await startNatsServer({ jetstream: false });
    const nOff: number[] = [];
    const nOn: number[] = [];
    try {
      const pair = async (system: string) => {
        const host = await ActorSystem.start({
          name: system,
          node: 'host',
          logLevel: 'silent',
          transport: server.transport,
        });
        const sender = await ActorSystem.start({
          name: system,
          node: 'sender',
          logLevel: 'silent',
          transport: server.transport,
        });
        host.spawn(Sink, { name: 'sink', mailbox: { capacity: 1_000_000 } });
        await host.flush();
        const ref: ActorRef<SinkP> = { system, path: 'sink' };
        await sender.ask(ref, 'ping', {}, { timeout: 5000 });
        return { host, sender, ref };
      };
      const a = await pair('plain');
      const b = await pair('observed');
      const t1 = await telemetryOn(b.host, exporter);
      const t2 = await telemetryOn(b.sender, exporter);
      for (let r = 0; r < ROUNDS; r++) {
        nOff.push(await troupeTell(a.sender, a.ref, NATS_TELLS));
        nOn.push(await troupeTell(b.sender, b.ref, NATS_TELLS));
      }
      await t1.close();
      await t2.close();
      for (const s of [a.sender, a.host, b.sender, b.host]) await s.shutdown();
    } finally {
      await stopAllNatsServers();
    }
    const notes = (n: number) =>
      `${n} tells, 128 B bodies; metrics on, tracing on with ${RATIO * 100}% of traces sampled into an SDK batch processor (${exporter.spans} spans exported in all); peer: the same run with telemetry off; median of ${ROUNDS}`;
    return [
      compared('local.tell.telemetry', 'msg/s', lOn, 'local tell, telemetry off', lOff, {
        notes: notes(LOCAL_TELLS),
      }),
      compared('nats.tell.telemetry', 'msg/s', nOn, 'NATS tell, telemetry off', nOff, {
        notes: notes(NATS_TELLS),
      }),
    ];
  },
};
export default bench;
