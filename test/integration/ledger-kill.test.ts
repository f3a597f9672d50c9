// kill -9 of a ledger *process* (troupe up deploy/services/ledger-troupe.ts) while it consumes a
// real JetStream stream that is still being written. Restarted, it recovers the directory, resumes
// from its own cursor, and ends with every stream message exactly once (no duplicate, no gap) and
// the root it had signed before the kill intact.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJetStreamAuditSink,
  ensureAuditStream,
  type LedgerProtocol,
  verifyLedger,
} from '../../actors/ledger/index.ts';
import { type ActorRef, ActorSystem, type AuditEvent } from '../../runtime/index.ts';
import { entriesOf, eventIdsOf } from '../support/ledger-run.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { eventually, spawnTs, stopChild } from '../support/processes.ts';

const SYSTEM = 'kill';
const ORIGIN = 'audit.kill.test/ledger';
const EVENTS = 6000;
const base = mkdtempSync(join(tmpdir(), 'troupe-ledger-kill-'));
const dir = join(base, 'ledger');
let server: NatsServer;
let nc: NatsConnection;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, user: server.user, pass: server.pass });
  await ensureAuditStream(nc, SYSTEM);
  env = {
    TROUPE_NATS_USER: server.user,
    TROUPE_NATS_PASS: server.pass,
    TROUPE_LOG_LEVEL: 'silent',
    TROUPE_LEDGER_DIR: dir,
    TROUPE_LEDGER_ORIGIN: ORIGIN,
    // One message per group commit (an fsync each): slower than the publisher, so there is a
    // backlog to be in the middle of when the kill comes.
    TROUPE_LEDGER_MAX_RECORDS: '1',
  };
}, 60_000);
afterAll(async () => {
  await nc?.close();
  await stopAllNatsServers();
  rmSync(base, { recursive: true, force: true });
});

const startLedger = () =>
  spawnTs(
    'bin/troupe.js',
    ['up', 'deploy/services/ledger-troupe.ts', '--nats', server.url, '--system', SYSTEM],
    { env, ready: /serving/, readyTimeoutMs: 60_000 },
  );

describe('kill -9 of a ledger process mid-ingest', () => {
  it('resumes with no duplicate, no gap, and the signed root intact', async () => {
    // The publisher: this process, through the JetStream sink, two events per stream message.
    const sink = await createJetStreamAuditSink(nc, { system: SYSTEM, maxBatchEvents: 2 });
    const publishing = (async () => {
      for (let i = 0; i < EVENTS; i++) {
        const e: AuditEvent = {
          id: `k-${i}`,
          kind: 'tool.call',
          system: SYSTEM,
          node: 'pub',
          actor: 'agent',
          at: Date.now(),
          trace: null,
          data: { i },
        };
        sink.emit(e);
        if (i % 20 === 19) await new Promise((r) => setImmediate(r));
        if (i % 2000 === 1999) await sink.flush();
      }
      await sink.flush();
    })();

    let proc = await startLedger();
    const client = await ActorSystem.start({
      name: SYSTEM,
      logLevel: 'silent',
      transport: server.transport,
    });
    const ledger: ActorRef<LedgerProtocol> = { system: SYSTEM, path: 'ledger' };
    const jsm = await jetstreamManager(nc);
    const streamLast = async () =>
      (await jsm.streams.info(`TROUPE_AUDIT_${SYSTEM}`)).state.last_seq;
    // Kill once it has signed a checkpoint, while the stream holds messages it has not read.
    const before = await eventually(
      async () => {
        const st = await client.ask(ledger, 'status', {}, { timeout: 2000 });
        if (!st.checkpoint || Number(st.cursor) < 100) throw new Error(`not yet: ${st.cursor}`);
        if (Number(st.cursor) >= (await streamLast())) throw new Error('caught up');
        return st;
      },
      60_000,
      10,
    );
    proc.kill('SIGKILL');
    await new Promise<void>((r) => proc.once('exit', () => r()));
    // It died holding the directory: its lock names a dead process.
    expect(existsSync(join(dir, 'LOCK'))).toBe(true);
    expect(Number(readFileSync(join(dir, 'LOCK'), 'utf8'))).toBe(proc.pid);

    proc = await startLedger();
    await publishing;
    const last = await streamLast();
    await eventually(
      async () => {
        const st = await client.ask(ledger, 'status', {}, { timeout: 2000 });
        expect(st.cursor).toBe(String(last));
        expect(st.halted).toBeNull();
      },
      90_000,
      50,
    );
    await client.shutdown();
    await stopChild(proc);

    // Every stream message exactly once, in order, as an event: no duplicate, no gap.
    const entries = entriesOf(dir);
    expect(entries.map((e) => e.leaf.type === 'event' && Number(e.leaf.streamSeq))).toEqual(
      Array.from({ length: last }, (_, i) => i + 1),
    );
    const ids = eventIdsOf(entries).filter((id) => id.startsWith('k-'));
    expect(ids).toHaveLength(EVENTS);
    expect(new Set(ids).size).toBe(EVENTS);
    // The root signed before the kill is the root of the tree at that size (no fork, no rewrite).
    const report = await verifyLedger(dir, { knownCheckpoint: before.checkpoint!.note });
    expect(report).toMatchObject({ ok: true, size: entries.length, lastStreamSeq: BigInt(last) });
    expect(report.ok && report.signedSize).toBeGreaterThanOrEqual(before.checkpoint!.size);
  }, 180_000);
});
