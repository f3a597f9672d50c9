// kill -9 of the audit stream's leader in a 3-node nats-server cluster while actors publish: the
// sink rides out the leader election (503s reported as "jetstream not enabled", timeouts) with the
// same Nats-Msg-Ids, and the ledger ends with every event exactly once and no gap.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureAuditStream, startAuditLedger, verifyLedger } from '../../actors/ledger/index.ts';
import { ActorSystem } from '../../runtime/index.ts';
import { Emitter, entriesOf, eventIdsOf, seededLedgerKeys } from '../support/ledger-run.ts';
import { startNatsCluster, stopAllNatsServers } from '../support/nats-server.ts';
import { eventually } from '../support/processes.ts';

const base = mkdtempSync(join(tmpdir(), 'troupe-ledger-cluster-'));
let nc: NatsConnection | undefined;
afterAll(async () => {
  await nc?.close();
  await stopAllNatsServers();
  rmSync(base, { recursive: true, force: true });
});

describe('audit ledger on a 3-node cluster', () => {
  it('loses and duplicates nothing when the stream leader is killed mid-publish', async () => {
    const servers = await startNatsCluster(3);
    const urls = servers.map((s) => s.url);
    const auth = { user: servers[0]!.user, pass: servers[0]!.pass };
    nc = await connect({ servers: urls, ...auth, maxReconnectAttempts: -1 });
    // The meta leader takes a few seconds to be elected.
    await eventually(() => ensureAuditStream(nc!, 'cl', { replicas: 3 }), 30_000, 250);
    const sys = await ActorSystem.start({
      name: 'cl',
      logLevel: 'silent',
      transport: { kind: 'nats', servers: urls, ...auth },
    });
    const origin = 'audit.cluster.test/ledger';
    const dir = join(base, 'ledger');
    const ledger = await startAuditLedger(sys, {
      dir,
      origin,
      keys: seededLedgerKeys(origin, 11),
      streamSettings: { replicas: 3 },
      auditAlerts: false,
    });
    const jsm = await jetstreamManager(nc);
    const agent = sys.spawn(Emitter, { name: 'agent' });
    let killed = '';
    for (let k = 0; k < 200; k++) {
      sys.tell(agent, 'emit', { n: 10 });
      await new Promise((r) => setTimeout(r, 10));
      if (k === 50) {
        const leader = (await jsm.streams.info('TROUPE_AUDIT_cl')).cluster?.leader ?? '';
        const i = Number(leader.replace(/^n/, '')) - 1;
        expect(servers[i]).toBeDefined();
        killed = leader;
        await servers[i]!.stop('SIGKILL');
      }
    }
    expect(killed).toMatch(/^n[123]$/);
    const st = await ledger.settle({ checkpoint: true, timeoutMs: 120_000 });
    const ids = eventIdsOf(entriesOf(dir));
    expect(ids).toHaveLength(2000);
    expect(new Set(ids).size).toBe(2000);
    expect(st.counts.gaps).toBe(0);
    expect(st.halted).toBeNull();
    const stats = ledger.sink!.stats();
    expect(stats).toMatchObject({ emitted: 2000, stored: 2000, stalled: false });
    expect(stats.retries).toBeGreaterThan(0);
    await ledger.close();
    await sys.shutdown();
    expect(await verifyLedger(dir)).toMatchObject({ ok: true });
  }, 180_000);
});
