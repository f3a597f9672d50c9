// The batching audit sink over the embedded stream: batches, order, flush, and the failure policy
// (retry, stall past the horizon and fail closed, recover; break on a failure that cannot pass).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AuditEventTooLargeError,
  AuditOverflowError,
  AuditPublishError,
  type AuditPublisher,
  type AuditSinkAlert,
  AuditUnavailableError,
  BatchingAuditSink,
  createLocalAuditSink,
  decodeAuditBatch,
  type LocalAuditStream,
  openLocalStream,
} from '../../actors/ledger/index.ts';
import { type AuditEvent, InvalidArgument } from '../../runtime/index.ts';

const base = mkdtempSync(join(tmpdir(), 'troupe-sink-'));
let n = 0;
const streams: LocalAuditStream[] = [];
async function stream(): Promise<LocalAuditStream> {
  const s = await openLocalStream(join(base, `s${++n}`), { name: 'TROUPE_AUDIT_t' });
  streams.push(s);
  return s;
}
afterAll(async () => {
  for (const s of streams) await s.close();
  rmSync(base, { recursive: true, force: true });
});

let counter = 0;
function ev(actor = 'team/coder', data: Record<string, unknown> = {}): AuditEvent {
  return {
    id: `e-${++counter}`,
    kind: 'tool.call',
    system: 't',
    node: 'n1',
    actor,
    at: Date.now(),
    trace: null,
    data,
  };
}

async function all(s: LocalAuditStream) {
  const recs = await s.fetch(1n, 100_000, 0);
  return recs.map((r) => ({
    subject: r.subject,
    msgId: r.msgId,
    events: decodeAuditBatch(r.payload),
  }));
}

/** The local stream's publisher, failing on demand (the broker is real in the integration tests). */
function flaky(inner: AuditPublisher) {
  const state = { failures: 0, retryable: true, attempts: [] as string[] };
  const pub: AuditPublisher = {
    maxPayload: inner.maxPayload,
    async publish(subject, data, msgId) {
      state.attempts.push(msgId);
      if (state.failures > 0) {
        state.failures--;
        const e = new Error('simulated');
        e.name = state.retryable ? 'JetStreamNotEnabled' : 'ClosedConnectionError';
        throw e;
      }
      return inner.publish(subject, data, msgId);
    },
    retryable: (err) => (err as Error).name === 'JetStreamNotEnabled',
  };
  return { pub, state };
}

const tick = () => new Promise((r) => setImmediate(r));

/** A sink (system 't') over a fresh stream whose publisher fails on demand; alerts collected. */
async function flakySink(
  options: Omit<ConstructorParameters<typeof BatchingAuditSink>[1], 'system' | 'onAlert'>,
) {
  const s = await stream();
  const { pub, state } = flaky(s.publisher());
  const alerts: AuditSinkAlert[] = [];
  const sink = new BatchingAuditSink(pub, {
    system: 't',
    ...options,
    onAlert: (a) => alerts.push(a),
  });
  return { s, state, alerts, sink };
}

describe('batching audit sink', () => {
  it('sends the events of one actor in one tick as one message, one subject per actor', async () => {
    const s = await stream();
    const sink = createLocalAuditSink(s, { system: 't' });
    const a = Array.from({ length: 50 }, () => ev('team/coder'));
    const b = Array.from({ length: 3 }, () => ev('team/reviewer'));
    for (const e of [...a, ...b]) sink.emit(e);
    await sink.flush();
    const msgs = await all(s);
    expect(msgs.map((m) => m.subject)).toEqual([
      'troupe.t.audit.n1.team.coder',
      'troupe.t.audit.n1.team.reviewer',
    ]);
    expect(msgs[0]!.events.map((e) => e.id)).toEqual(a.map((e) => e.id));
    expect(msgs[1]!.events).toEqual(b);
    expect(sink.stats()).toMatchObject({
      emitted: 53,
      stored: 53,
      batches: 2,
      bufferedEvents: 0,
      bufferedBytes: 0,
    });
    await sink.close();
  });

  it('splits at maxBatchEvents and maxBatchBytes and keeps the order across batches', async () => {
    const s = await stream();
    const sink = createLocalAuditSink(s, { system: 't', maxBatchEvents: 7, maxBatchBytes: 2048 });
    const events = Array.from({ length: 100 }, (_, i) =>
      ev('a', { pad: 'x'.repeat(i % 3 === 0 ? 500 : 10) }),
    );
    for (const e of events.slice(0, 60)) sink.emit(e);
    await tick();
    for (const e of events.slice(60)) sink.emit(e);
    await sink.flush();
    const msgs = await all(s);
    expect(msgs.flatMap((m) => m.events.map((e) => e.id))).toEqual(events.map((e) => e.id));
    for (const m of msgs) expect(m.events.length).toBeLessThanOrEqual(7);
    const raw = await s.fetch(1n, 1000, 0);
    for (const r of raw) expect(r.payload.length).toBeLessThanOrEqual(2048);
    await sink.close();
  });

  it('refuses an event too big for a message, and more than maxBufferedBytes (typed)', async () => {
    const s = await stream();
    const sink = createLocalAuditSink(s, {
      system: 't',
      maxBatchBytes: 4096,
      maxBufferedBytes: 8192,
    });
    expect(() => sink.emit(ev('a', { big: 'x'.repeat(5000) }))).toThrow(AuditEventTooLargeError);
    const held: unknown[] = [];
    try {
      for (let i = 0; i < 100; i++) sink.emit(ev('a', { pad: 'y'.repeat(1000) }));
    } catch (err) {
      held.push(err);
    }
    expect(held[0]).toBeInstanceOf(AuditOverflowError);
    await sink.flush();
    sink.emit(ev('a')); // room again once stored
    await sink.close();
  });

  it('retries a retryable failure with the same message id, then stores the batch once', async () => {
    const { s, state, alerts, sink } = await flakySink({ initialBackoffMs: 5, maxBackoffMs: 20 });
    state.failures = 3;
    sink.emit(ev());
    sink.emit(ev());
    await sink.flush();
    expect(new Set(state.attempts).size).toBe(1);
    expect(state.attempts).toHaveLength(4);
    expect(await s.lastSeq()).toBe(1n);
    expect(sink.stats()).toMatchObject({ retries: 3, stored: 2, stalled: false });
    expect(alerts.map((a) => a.kind)).toEqual(['retrying', 'recovered']);
    await sink.close();
  });

  it('stalls past the retry horizon: flush rejects, emit fails closed; the first success recovers it', async () => {
    const { s, state, alerts, sink } = await flakySink({
      retryHorizonMs: 60,
      initialBackoffMs: 5,
      maxBackoffMs: 10,
    });
    state.failures = 1_000_000;
    const e1 = ev();
    sink.emit(e1);
    const err = await sink.flush().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(AuditPublishError);
    expect((err as AuditPublishError).pendingEvents).toBe(1);
    expect(() => sink.emit(ev())).toThrow(AuditUnavailableError);
    expect(sink.stats().stalled).toBe(true);
    await expect(sink.flush()).rejects.toBeInstanceOf(AuditPublishError);
    state.failures = 0;
    for (let i = 0; i < 100 && sink.stats().stalled; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(sink.stats()).toMatchObject({ stalled: false, stored: 1 });
    sink.emit(ev());
    await sink.flush();
    expect((await all(s)).flatMap((m) => m.events.map((e) => e.id))[0]).toBe(e1.id);
    expect(alerts.map((a) => a.kind)).toEqual(['retrying', 'stalled', 'recovered']);
    await sink.close();
  });

  it('breaks on a failure that cannot pass: flush and emit say so', async () => {
    const s = await stream();
    const { pub, state } = flaky(s.publisher());
    const sink = new BatchingAuditSink(pub, { system: 't' });
    state.failures = 1;
    state.retryable = false;
    sink.emit(ev());
    await expect(sink.flush()).rejects.toBeInstanceOf(AuditPublishError);
    expect(() => sink.emit(ev())).toThrow(AuditUnavailableError);
    await expect(sink.close()).rejects.toBeInstanceOf(AuditPublishError);
    expect(() => sink.emit(ev())).toThrow(AuditUnavailableError);
  });

  it('checks its options (typed)', async () => {
    const s = await stream();
    const bad = [
      {},
      { system: 'a.b' },
      { system: 't', maxBatchEvents: 0 },
      { system: 't', maxBatchBytes: 10 },
      { system: 't', retryHorizonMs: -1 },
      { system: 't', onAlert: 'no' },
      { system: 't', unknown: true },
    ];
    for (const o of bad) {
      expect(() => createLocalAuditSink(s, o as never)).toThrow(InvalidArgument);
    }
    expect(() => createLocalAuditSink({} as LocalAuditStream, { system: 't' })).toThrow(
      InvalidArgument,
    );
  });
});
