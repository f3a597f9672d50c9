import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTelemetry, type Telemetry } from '../../actors/telemetry/index.ts';
import {
  type ActorRef,
  type ActorSystem,
  type AskContext,
  defineActor,
  newTraceparent,
  telemetryFor,
} from '../../index.ts';
import type { TestSite } from '../support/mesh-sites.ts';
import { stopAllNatsServers } from '../support/nats-server.ts';
import { startPairedSites } from '../support/paired-sites.ts';
import { eventually } from '../support/processes.ts';
import { parsePromText, sample } from '../support/prom-text.ts';

/** Site B's actor: does its work inside a model-call span, as an agent would. */
const Coder = defineActor({
  type: 'coder',
  state: () => null,
  asks: { work: { request: z.object({ text: z.string() }), reply: z.string() } },
  handle: {
    work(_s, m, ctx) {
      const span = telemetryFor(ctx.system, ctx.node).span('model.call', ctx.traceparent, {
        'gen_ai.request.model': 'scripted',
      });
      span.end();
      ctx.reply(m.text.toUpperCase());
    },
  },
});
type CoderP = NonNullable<(typeof Coder)['__protocol']>;
const CODER: ActorRef<CoderP> = { system: 'siteB', path: 'coder' };

type Text = { text: string };

/** A hop on site A: its `go` answers with what `next` gets from the following hop. */
const hop = (type: string, next: (m: Text, ctx: AskContext<string>) => Promise<string>) =>
  defineActor({
    type,
    state: () => null,
    asks: { go: { request: z.object({ text: z.string() }), reply: z.string() } },
    handle: {
      async go(_s, m, ctx) {
        ctx.reply(await next(m, ctx));
      },
    },
  });
type HopP = NonNullable<ReturnType<typeof hop>['__protocol']>;

/** Site A's middle hop, on its own node: asks the coder on the other site, through the mesh. */
const Mid = hop('mid', (m, ctx) => ctx.ask(CODER, 'work', m, { timeout: 10_000 }));

/** Site A's front actor: asks the middle hop on another node over NATS. */
const Front = hop('front', (m, ctx) => {
  const mid: ActorRef<HopP> = { system: ctx.system, path: 'mid' };
  return ctx.ask(mid, 'go', m, { timeout: 10_000 });
});

describe('OpenTelemetry spans from the carried traceparent', () => {
  let a: TestSite;
  let b: TestSite;
  let front: ActorSystem;
  let mid: ActorSystem;
  let coder: ActorSystem;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const telemetries: Telemetry[] = [];
  let bridgeTelemetry: Telemetry;

  beforeAll(async () => {
    ({ a, b } = await startPairedSites());
    front = await a.node('front');
    mid = await a.node('mid');
    coder = await b.node('coder');
    front.spawn(Front, { name: 'front' });
    mid.spawn(Mid, { name: 'mid' });
    coder.spawn(Coder, { name: 'coder' });
    for (const s of [front, mid, coder, b.system]) {
      telemetries.push(await startTelemetry(s, { tracing: { ratio: 1, provider } }));
      await s.flush();
    }
    // Site A's bridge node also serves metrics, with the mesh gauges.
    bridgeTelemetry = await startTelemetry(a.system, {
      tracing: { ratio: 1, provider },
      metrics: { defaultMetrics: false },
      bridge: a.bridge,
    });
    telemetries.push(bridgeTelemetry);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(telemetries.map((t) => t.close()));
    await a?.close();
    await b?.close();
    await stopAllNatsServers();
  });

  it('one trace across two nodes and the mesh bridge, each hop the child of the one before', async () => {
    const tp = newTraceparent();
    const traceId = tp.slice(3, 35);
    const ref: ActorRef<HopP> = { system: 'siteA', path: 'front' };
    expect(
      await front.ask(ref, 'go', { text: 'hello' }, { timeout: 15_000, traceparent: tp }),
    ).toBe('HELLO');

    const spans = await eventually(async () => {
      const got = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      expect(got.map((s) => s.name).sort()).toEqual([
        'coder work',
        'front go',
        'mid go',
        'model.call',
      ]);
      return got;
    });
    const byName = (n: string): ReadableSpan => spans.find((s) => s.name === n)!;
    const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
    expect(parentOf(byName('front go'))).toBe(tp.slice(36, 52));
    expect(parentOf(byName('mid go'))).toBe(byName('front go').spanContext().spanId);
    expect(parentOf(byName('coder work'))).toBe(byName('mid go').spanContext().spanId);
    expect(parentOf(byName('model.call'))).toBe(byName('coder work').spanContext().spanId);
    // Three nodes, two sites: the trace crossed NATS and the encrypted mesh.
    const where = spans.map(
      (s) => `${s.attributes['troupe.system']}/${s.attributes['troupe.node']}`,
    );
    expect(new Set(where)).toEqual(
      new Set(['siteA/siteA-front', 'siteA/siteA-mid', 'siteB/siteB-coder']),
    );
    expect(byName('model.call').attributes['gen_ai.request.model']).toBe('scripted');
  });

  it('records nothing for a trace that is not sampled', async () => {
    const tp = `${newTraceparent().slice(0, 53)}00`;
    const ref: ActorRef<HopP> = { system: 'siteA', path: 'front' };
    expect(
      await front.ask(ref, 'go', { text: 'quiet' }, { timeout: 15_000, traceparent: tp }),
    ).toBe('QUIET');
    // The answer came back through every hop; a later sampled trace proves spans still flow.
    const probe = newTraceparent();
    await front.ask(ref, 'go', { text: 'probe' }, { timeout: 15_000, traceparent: probe });
    await eventually(async () => {
      expect(
        exporter
          .getFinishedSpans()
          .some((s) => s.spanContext().traceId === probe.slice(3, 35) && s.name === 'coder work'),
      ).toBe(true);
    });
    expect(
      exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === tp.slice(3, 35)),
    ).toEqual([]);
  });

  it('the bridge node shows the mesh link up and the bytes handed to the bridge', async () => {
    const m = parsePromText((await bridgeTelemetry.scrape())!);
    expect(sample(m, 'troupe_mesh_link_up', { peer: 'siteB' })).toBe(1);
    expect(sample(m, 'troupe_mesh_frames_total', { kind: 'out' })).toBeGreaterThan(0);
    expect(sample(m, 'troupe_mesh_sent_bytes_total', { peer: 'siteB' })).toBeGreaterThan(0);
  });
});
