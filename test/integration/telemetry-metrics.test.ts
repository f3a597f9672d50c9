import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startAuditLedger } from '../../actors/ledger/index.ts';
import { startTelemetry, type Telemetry } from '../../actors/telemetry/index.ts';
import {
  type ActorRef,
  ActorSystem,
  defineActor,
  InvalidArgument,
  TransportError,
  telemetryFor,
} from '../../index.ts';
import { Recorder } from '../support/defs.ts';
import { eventually } from '../support/processes.ts';
import { histogramCount, parsePromText, sample } from '../support/prom-text.ts';
import { natsNodes } from '../support/test-systems.ts';

const { node, live: systems } = natsNodes('tm');
const telemetries: Telemetry[] = [];
// Registered after the nodes' hook, so it runs before it: telemetry closes before its system.
afterEach(async () => {
  await Promise.all(telemetries.splice(0).map((t) => t.close()));
});

type RecorderP = NonNullable<(typeof Recorder)['__protocol']>;

/** Forwards each tell to the recorder: an actor that sends, for the messages-sent counter. */
const Relay = defineActor({
  type: 'relay',
  state: (to: ActorRef<RecorderP>) => ({ to }),
  tells: { pass: z.object({ seq: z.number() }), boom: z.object({}) },
  handle: {
    pass(s, m, ctx) {
      ctx.tell(s.to, 'note', { seq: m.seq });
    },
    boom() {
      throw new Error('relay boom');
    },
  },
});

async function scrapeText(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

async function scrape(url: string) {
  return parsePromText(await scrapeText(url));
}

describe('Prometheus /metrics', () => {
  it('serves the text format, and the values move when traffic flows', async () => {
    const a = await node('a');
    const b = await node('b');
    const t = await startTelemetry(a, { metrics: { port: 0, timeEvery: 1 } });
    telemetries.push(t);
    expect(t.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const rec = a.spawn(Recorder, { name: 'rec' });
    const relay = a.spawn(Relay, { name: 'relay', args: rec });
    await a.flush();

    const before = await scrape(t.metricsUrl!);
    expect(before.get('troupe_messages_received_total')?.type).toBe('COUNTER');
    expect(before.get('troupe_handler_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(sample(before, 'troupe_messages_received_total', { actor_type: 'recorder' })).toBe(0);
    const natsOutBefore = sample(before, 'troupe_nats_sent_bytes_total');

    // Traffic: tells from the other node over NATS, a local relay, asks, a crash, a dead letter.
    const relayRef = { system: 'tm', path: 'relay' } as typeof relay;
    for (let i = 0; i < 300; i++) b.tell(relayRef, 'pass', { seq: i });
    for (let i = 0; i < 20; i++) await a.ask(rec, 'echo', { text: `x${i}` }, { timeout: 5_000 });
    await eventually(async () => {
      const seen = await a.ask(rec, 'seen', {}, { timeout: 5_000 });
      expect(seen.length).toBe(300);
    });
    a.tell(relay, 'boom', {});
    a.tell(rec, 'note', { seq: 'not a number' } as never);
    await expect(
      a.ask({ system: 'tm', path: 'nobody' }, 'x', {}, { timeout: 5_000 }),
    ).rejects.toThrow();

    const after = await eventually(async () => {
      const m = await scrape(t.metricsUrl!);
      expect(sample(m, 'troupe_actor_restarts_total', { actor_type: 'relay' })).toBe(1);
      return m;
    });
    expect(
      sample(after, 'troupe_messages_received_total', { actor_type: 'recorder' }),
    ).toBeGreaterThanOrEqual(320);
    expect(sample(after, 'troupe_messages_received_total', { actor_type: 'relay' })).toBe(301);
    expect(sample(after, 'troupe_messages_sent_total', { actor_type: 'relay' })).toBe(300);
    expect(sample(after, 'troupe_asks_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(21);
    expect(sample(after, 'troupe_asks_total', { outcome: 'no_such_actor' })).toBe(1);
    expect(sample(after, 'troupe_actor_crashes_total', { actor_type: 'relay' })).toBe(1);
    expect(sample(after, 'troupe_dead_letters_total', { reason: 'rejected' })).toBe(1);
    const text = await scrapeText(t.metricsUrl!);
    expect(
      histogramCount(text, 'troupe_handler_duration_seconds', { actor_type: 'recorder' }),
    ).toBeGreaterThanOrEqual(320);
    expect(histogramCount(text, 'troupe_handler_duration_seconds', { actor_type: 'relay' })).toBe(
      301,
    );
    expect(sample(after, 'troupe_actors', { actor_type: 'recorder' })).toBe(1);
    expect(after.get('troupe_mailbox_depth')?.type).toBe('GAUGE');
    expect(sample(after, 'troupe_nats_sent_bytes_total')).toBeGreaterThan(natsOutBefore);
    // Every family follows the naming rules: troupe_ prefix, counters end in _total.
    for (const f of after.values()) {
      if (!f.name.startsWith('troupe_')) continue;
      if (f.type === 'COUNTER') expect(f.name).toMatch(/_total$/);
      if (f.type === 'HISTOGRAM') continue; // the parser folds a histogram's labels away
      expect(f.metrics.every((m) => m.labels?.node === 'a' && m.labels?.system === 'tm')).toBe(
        true,
      );
    }
  });

  it('times each actor first run, then one in timeEvery; counts every message exactly', async () => {
    const a = await node('a');
    const t = await startTelemetry(a, { metrics: { port: 0, timeEvery: 4 } });
    telemetries.push(t);
    const rec = a.spawn(Recorder, { name: 'rec' });
    const rec2 = a.spawn(Recorder, { name: 'rec2' });
    // Tells and then an ask from one sender are handled in order: rec handles 10 messages
    // (9 tells, one ask), rec2 handles 3.
    for (let i = 0; i < 9; i++) a.tell(rec, 'note', { seq: i });
    for (let i = 0; i < 2; i++) a.tell(rec2, 'note', { seq: i });
    expect(await a.ask(rec, 'seen', {}, { timeout: 5_000 })).toHaveLength(9);
    expect(await a.ask(rec2, 'seen', {}, { timeout: 5_000 })).toHaveLength(2);
    const text = await scrapeText(t.metricsUrl!);
    expect(
      sample(parsePromText(text), 'troupe_messages_received_total', { actor_type: 'recorder' }),
    ).toBe(13);
    // Timed: rec with 0, 4 and 8 handled before, rec2 with 0.
    expect(
      histogramCount(text, 'troupe_handler_duration_seconds', { actor_type: 'recorder' }),
    ).toBe(4);
  });

  it('counts model tokens and cost per agent through the hooks agents call', async () => {
    const a = await node('a');
    const t = await startTelemetry(a, { metrics: { defaultMetrics: false } });
    telemetries.push(t);
    const hooks = telemetryFor('tm', 'a');
    hooks.modelUsage({
      agent: 'team/coder',
      model: 'm1',
      inputTokens: 120,
      outputTokens: 30,
      costUsd: 0.002,
    });
    hooks.modelUsage({ agent: 'team/coder', model: 'm1', inputTokens: 80, outputTokens: 20 });
    hooks.toolCall('team/coder', 'shell', 'error');
    const m = parsePromText((await t.scrape())!);
    expect(
      sample(m, 'troupe_model_tokens_total', { agent: 'team/coder', direction: 'input' }),
    ).toBe(200);
    expect(
      sample(m, 'troupe_model_tokens_total', { agent: 'team/coder', direction: 'output' }),
    ).toBe(50);
    expect(sample(m, 'troupe_model_cost_usd_total', { agent: 'team/coder' })).toBeCloseTo(0.002);
    expect(sample(m, 'troupe_model_calls_total', { agent: 'team/coder' })).toBe(2);
    expect(sample(m, 'troupe_tool_calls_total', { tool: 'shell', outcome: 'error' })).toBe(1);
    await t.close();
    telemetries.length = 0;
    // Closed: the hooks are gone and the kernel has no port.
    expect(a.telemetry).toBeNull();
    expect(telemetryFor('tm', 'a').span('x', null).traceparent).toBeNull();
  });

  it('refuses bad options, a second start and a taken port, with typed errors', async () => {
    const a = await node('a');
    await expect(startTelemetry(a, { metrics: { port: 70_000 } })).rejects.toThrow(InvalidArgument);
    await expect(startTelemetry(a, { metrics: { timeEvery: 3 } })).rejects.toThrow(/power of two/);
    await expect(startTelemetry(a, { bogus: 1 } as never)).rejects.toThrow(InvalidArgument);
    await expect(startTelemetry(a, { tracing: { otlp: { url: 'not a url' } } })).rejects.toThrow(
      /tracing\.otlp\.url/,
    );
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(startTelemetry(a, { metrics: { port } })).rejects.toThrow(TransportError);
      expect(a.telemetry).toBeNull();
    } finally {
      taken.close();
    }
    const t = await startTelemetry(a, { metrics: {} });
    telemetries.push(t);
    await expect(startTelemetry(a, { metrics: {} })).rejects.toThrow(/already has telemetry/);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => null);
    expect(res).toBeNull();
  });

  it('ledger gauges: entries, stream cursor and lag of a running ledger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-tm-ledger-'));
    const sys = await ActorSystem.start({ name: 'tml', logLevel: 'silent' });
    systems.push(sys);
    try {
      const ledger = await startAuditLedger(sys, { dir });
      const t = await startTelemetry(sys, { metrics: { defaultMetrics: false }, ledger });
      telemetries.push(t);
      for (let i = 0; i < 5; i++) sys.audit('tool.call', { i });
      const st = await ledger.settle();
      const m = parsePromText((await t.scrape())!);
      expect(sample(m, 'troupe_ledger_entries')).toBe(st.size);
      expect(st.size).toBeGreaterThanOrEqual(1);
      expect(sample(m, 'troupe_ledger_stream_cursor')).toBe(Number(st.cursor));
      expect(sample(m, 'troupe_ledger_lag_messages')).toBe(0);
      await t.close();
      telemetries.length = 0;
      await ledger.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
