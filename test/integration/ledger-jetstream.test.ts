// The audit ledger on a real nats-server 2.9.10 with JetStream: the stream settings, the sink's
// Nats-Msg-Id and retries, and the tamper cases that involve the stream: duplicate delivery, a
// publisher retry outside the duplicate window, a stream gap, a rolled-back stream, a server
// restart while publishing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditStreamConfigError,
  auditBatchId,
  auditSubject,
  createJetStreamAuditSink,
  encodeAuditBatch,
  ensureAuditStream,
  jetStreamAuditStream,
  type LedgerAlert,
  startAuditLedger,
  verifyLedger,
} from '../../actors/ledger/index.ts';
import { ActorSystem, type AuditEvent, InvalidArgument } from '../../runtime/index.ts';
import { auditEventMaker } from '../support/audit-events.ts';
import { Emitter, entriesOf, eventIdsOf, seededLedgerKeys } from '../support/ledger-run.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { eventually } from '../support/processes.ts';

const base = mkdtempSync(join(tmpdir(), 'troupe-ledger-js-'));
let server: NatsServer;
let nc: NatsConnection;
beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, user: server.user, pass: server.pass });
});
afterAll(async () => {
  await nc?.close();
  await stopAllNatsServers();
  rmSync(base, { recursive: true, force: true });
});

const keysFor = (origin: string) => seededLedgerKeys(origin, 5);

const event = auditEventMaker('raw');

/** Publish one batch the way the sink does, but by hand (to repeat it, or to time it). */
async function publishBatch(
  system: string,
  events: AuditEvent[],
  msgId = auditBatchId(events.map((e) => e.id)),
) {
  const js = jetstream(nc);
  return js.publish(auditSubject(system, 'n1', 'agent'), encodeAuditBatch(events), {
    msgID: msgId,
  });
}

async function system(name: string, s = server): Promise<ActorSystem> {
  return ActorSystem.start({ name, logLevel: 'silent', transport: s.transport });
}

/** The test's ledger for `origin` in `dir`, with its keys; `more` adds or overrides options. */
function startLedger(
  sys: ActorSystem,
  dir: string,
  origin: string,
  more: Omit<Parameters<typeof startAuditLedger>[1], 'dir' | 'origin'> = {},
) {
  return startAuditLedger(sys, { dir, origin, keys: keysFor(origin), ...more });
}

describe('audit ledger on JetStream', () => {
  it('creates the stream 2.9-safe: file storage, deny delete and purge, a long duplicate window', async () => {
    const info = await ensureAuditStream(nc, 'cfg');
    expect(info).toMatchObject({
      name: 'TROUPE_AUDIT_cfg',
      subjects: ['troupe.cfg.audit.>'],
      duplicateWindowMs: 600_000,
      denyDelete: true,
      denyPurge: true,
      created: true,
    });
    expect((await ensureAuditStream(nc, 'cfg')).created).toBe(false);
    const jsm = await jetstreamManager(nc);
    const cfg = (await jsm.streams.info('TROUPE_AUDIT_cfg')).config;
    expect(cfg).toMatchObject({
      storage: 'file',
      allow_direct: true,
      deny_delete: true,
      deny_purge: true,
    });
    await expect(jsm.streams.deleteMessage('TROUPE_AUDIT_cfg', 1)).rejects.toThrow();
    await expect(jsm.streams.purge('TROUPE_AUDIT_cfg')).rejects.toThrow();
    // An existing stream weaker than asked is refused, never loosened or rewritten.
    await ensureAuditStream(nc, 'weak', { denyDelete: false, duplicateWindowMs: 1000 });
    const weak = await ensureAuditStream(nc, 'weak').catch((e: unknown) => e);
    expect(weak).toBeInstanceOf(AuditStreamConfigError);
    expect((weak as AuditStreamConfigError).field).toBe('deny_delete');
    await expect(ensureAuditStream(nc, 'weak', { denyDelete: false })).rejects.toMatchObject({
      field: 'duplicate_window',
    });
    // Typed errors for bad input.
    await expect(ensureAuditStream(nc, 'a.b')).rejects.toBeInstanceOf(InvalidArgument);
    await expect(ensureAuditStream(nc, 'x', { duplicateWindowMs: 5 })).rejects.toBeInstanceOf(
      InvalidArgument,
    );
    await expect(ensureAuditStream(nc, 'x', { replicas: 2.5 })).rejects.toBeInstanceOf(
      InvalidArgument,
    );
    expect(() => jetStreamAuditStream(nc, 'x', { bufferMessages: 0 })).toThrow(InvalidArgument);
    expect(() => jetStreamAuditStream(nc, '>')).toThrow(InvalidArgument);
    await expect(createJetStreamAuditSink(nc, { system: 'nostream' })).rejects.toBeInstanceOf(
      InvalidArgument,
    );
    await expect(
      createJetStreamAuditSink({} as NatsConnection, { system: 'cfg' }),
    ).rejects.toBeInstanceOf(InvalidArgument);
    await expect(
      createJetStreamAuditSink(nc, { system: 'cfg', publishTimeoutMs: 1 }),
    ).rejects.toBeInstanceOf(InvalidArgument);
    // A retry horizon as long as the duplicate window could store a batch twice: refused.
    await expect(createJetStreamAuditSink(nc, { system: 'weak' })).rejects.toThrow(
      /below the stream's duplicate window/,
    );
  });

  it('records actors’ events once each; an identical re-publish is deduplicated; a restart re-reads one message', async () => {
    const origin = 'audit.js.test/e2e';
    const dir = join(base, 'e2e');
    const sys = await system('e2e');
    const ledger = await startLedger(sys, dir, origin);
    const a = sys.spawn(Emitter, { name: 'agent' });
    const b = sys.spawn(Emitter, { name: 'reviewer' });
    for (let i = 0; i < 10; i++) {
      sys.tell(a, 'emit', { n: 25 });
      sys.tell(b, 'emit', { n: 2 });
      await new Promise((r) => setImmediate(r));
    }
    let st = await ledger.settle({ checkpoint: true });
    expect(eventIdsOf(entriesOf(dir))).toHaveLength(270);
    expect(st.checkpoint?.size).toBe(st.size);

    // The same batch published twice with its Nats-Msg-Id: one stream message, one leaf.
    const events = [event('e2e'), event('e2e')];
    const first = await publishBatch('e2e', events);
    const again = await publishBatch('e2e', events);
    expect(again).toMatchObject({ seq: first.seq, duplicate: true });
    await eventually(async () =>
      expect(BigInt((await ledger.status()).cursor)).toBe(BigInt(first.seq)),
    );
    st = await ledger.status();
    const size = st.size;
    expect(eventIdsOf(entriesOf(dir)).filter((id) => id.startsWith('raw-'))).toHaveLength(2);
    await ledger.close();

    // Restarted, the ledger reads message S back: equal content, dropped.
    const again2 = await startLedger(sys, dir, origin, { sink: false });
    await eventually(async () => {
      const s2 = await again2.status();
      expect(s2.counts.duplicates).toBe(1);
      expect(s2.size).toBe(size);
    });
    await again2.close();
    await sys.shutdown();
    expect(await verifyLedger(dir)).toMatchObject({ ok: true, size });
  });

  it('records a publisher retry outside the duplicate window twice, the second flagged dupOf', async () => {
    const origin = 'audit.js.test/dupwin';
    const dir = join(base, 'dupwin');
    const sys = await system('dupwin');
    const alerts: LedgerAlert[] = [];
    const ledger = await startLedger(sys, dir, origin, {
      sink: false,
      streamSettings: { duplicateWindowMs: 500 },
      onAlert: (x) => alerts.push(x),
      auditAlerts: false,
    });
    const events = [event('dupwin')];
    const id = auditBatchId(events.map((e) => e.id));
    const one = await publishBatch('dupwin', events, id);
    expect((await publishBatch('dupwin', events, id)).duplicate).toBe(true);
    await new Promise((r) => setTimeout(r, 900));
    const two = await publishBatch('dupwin', events, id);
    expect(two.duplicate).toBe(false);
    expect(two.seq).toBe(one.seq + 1);
    await eventually(async () => expect((await ledger.status()).cursor).toBe(String(two.seq)));
    const entries = entriesOf(dir);
    expect(entries.map((e) => e.leaf.msgId)).toEqual([id, id]);
    expect(alerts).toEqual([
      { kind: 'retry', seq: BigInt(two.seq), msgId: id, index: 1, dupOf: 0 },
    ]);
    await ledger.close();
    await sys.shutdown();
  });

  it('turns a message deleted from the stream before the ledger read it into a GAP entry and an alert', async () => {
    const origin = 'audit.js.test/gap';
    const dir = join(base, 'gap');
    const sys = await system('gap');
    const opts = {
      dir,
      origin,
      keys: keysFor(origin),
      sink: false as const,
      streamSettings: { denyDelete: false },
      auditAlerts: false,
    };
    let ledger = await startAuditLedger(sys, opts);
    for (let i = 0; i < 3; i++) await publishBatch('gap', [event('gap')]);
    await eventually(async () => expect((await ledger.status()).cursor).toBe('3'));
    await ledger.close();
    for (let i = 0; i < 3; i++) await publishBatch('gap', [event('gap')]);
    const jsm = await jetstreamManager(nc);
    expect(await jsm.streams.deleteMessage('TROUPE_AUDIT_gap', 5)).toBe(true);
    const alerts: LedgerAlert[] = [];
    ledger = await startAuditLedger(sys, { ...opts, onAlert: (x) => alerts.push(x) });
    await eventually(async () => expect((await ledger.status()).cursor).toBe('6'));
    const entries = entriesOf(dir);
    expect(entries.map((e) => [e.leaf.type, e.leaf.streamSeq])).toEqual([
      ['event', 1n],
      ['event', 2n],
      ['event', 3n],
      ['event', 4n],
      ['gap', 5n],
      ['event', 6n],
    ]);
    expect(entries[4]!.leaf.aux).toBe(5n);
    expect(alerts).toEqual([{ kind: 'gap', first: 5n, last: 5n, index: 4 }]);
    await ledger.settle({ checkpoint: true });
    await ledger.close();
    await sys.shutdown();
    expect(await verifyLedger(dir)).toMatchObject({ ok: true, size: 6, lastStreamSeq: 6n });
  });

  it('halts on a stream that was reset behind the ledger (rollback alarm) and keeps answering', async () => {
    const origin = 'audit.js.test/rb';
    const dir = join(base, 'rb');
    const sys = await system('rb');
    let ledger = await startLedger(sys, dir, origin, { auditAlerts: false });
    const a = sys.spawn(Emitter, { name: 'agent' });
    for (let i = 0; i < 3; i++) {
      sys.tell(a, 'emit', { n: 1 });
      await new Promise((r) => setTimeout(r, 5));
    }
    await ledger.settle({ checkpoint: true });
    const before = await ledger.status();
    expect(Number(before.cursor)).toBeGreaterThanOrEqual(2);
    await ledger.close();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete('TROUPE_AUDIT_rb');
    await ensureAuditStream(nc, 'rb');
    await publishBatch('rb', [event('rb')]);
    const alerts: LedgerAlert[] = [];
    ledger = await startLedger(sys, dir, origin, {
      sink: false,
      onAlert: (x) => alerts.push(x),
      auditAlerts: false,
    });
    await eventually(async () => {
      expect((await ledger.status()).halted).toMatchObject({ kind: 'rollback' });
    });
    expect(alerts).toEqual([
      { kind: 'rollback', cursor: BigInt(before.cursor), streamLastSeq: 1n },
    ]);
    const st = await ledger.status();
    expect(st.size).toBe(before.size);
    await ledger.close();
    await sys.shutdown();
  });

  it('loses and duplicates nothing across a nats-server restart while publishing', async () => {
    const own = await startNatsServer();
    const origin = 'audit.js.test/restart';
    const dir = join(base, 'restart');
    const sys = await system('restart', own);
    const ledger = await startLedger(sys, dir, origin, { auditAlerts: false });
    const a = sys.spawn(Emitter, { name: 'agent' });
    let restarted: Promise<void> | undefined;
    for (let k = 0; k < 200; k++) {
      sys.tell(a, 'emit', { n: 10 });
      await new Promise((r) => setTimeout(r, 10));
      if (k === 60) restarted = own.restart();
    }
    await restarted;
    const st = await ledger.settle({ checkpoint: true, timeoutMs: 90_000 });
    const ids = eventIdsOf(entriesOf(dir));
    expect(ids).toHaveLength(2000);
    expect(new Set(ids).size).toBe(2000);
    expect(st.counts.gaps).toBe(0);
    expect(ledger.sink!.stats()).toMatchObject({ emitted: 2000, stored: 2000, stalled: false });
    expect(ledger.sink!.stats().retries).toBeGreaterThan(0);
    await ledger.close();
    await sys.shutdown();
    expect(await verifyLedger(dir)).toMatchObject({ ok: true });
  }, 120_000);
});
