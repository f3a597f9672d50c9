// Alerts across a fleet: a crash on another node and a real ledger alarm (a stream gap) reach
// the alerts actor over a real nats-server; a mesh peer lost and found again on a bridged site.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Alerts, startAlerts } from '../../actors/alerts/index.ts';
import {
  auditBatchId,
  auditSubject,
  decodeAuditBatch,
  encodeAuditBatch,
  ledgerKeysFromSeeds,
  startAuditLedger,
} from '../../actors/ledger/index.ts';
import { ActorSystem, type AuditEvent } from '../../index.ts';
import { auditEventMaker } from '../support/audit-events.ts';
import { Flaky } from '../support/flaky.ts';
import type { TestSite } from '../support/mesh-sites.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { startPairedSites } from '../support/paired-sites.ts';
import { eventually } from '../support/processes.ts';
import { BotApiServer } from '../support/telegram-bot-api.ts';

const TOKEN = '999:fleet-token';
const CHAT = 7;
const base = mkdtempSync(join(tmpdir(), 'troupe-alerts-fleet-'));
let server: NatsServer;
let nc: NatsConnection;
let bot: BotApiServer;
const systems: ActorSystem[] = [];
const alertsList: Alerts[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, user: server.user, pass: server.pass });
  bot = new BotApiServer(TOKEN, CHAT);
  await bot.start();
});
afterAll(async () => {
  await Promise.all(alertsList.map((a) => a.close()));
  await Promise.all(systems.map((s) => s.shutdown({ timeoutMs: 2000 })));
  await nc?.close();
  await bot?.close();
  await stopAllNatsServers();
  rmSync(base, { recursive: true, force: true });
});

async function node(name: string, system = 'fleet'): Promise<ActorSystem> {
  const s = await ActorSystem.start({
    name: system,
    node: name,
    logLevel: 'silent',
    transport: server.transport,
  });
  systems.push(s);
  return s;
}

const texts = () => bot.messages.map((m) => m.text);

const event = auditEventMaker('fleet');

describe('alerts across nodes', () => {
  it('hears a crash on another node and a ledger gap raised by a real ledger elsewhere', async () => {
    const watch = await node('watch');
    const a = await startAlerts(watch, {
      telegram: { botToken: TOKEN, chatId: CHAT, baseUrl: bot.baseUrl },
      log: false,
      tickMs: 50,
    });
    alertsList.push(a);
    await watch.flush();

    const work = await node('work');
    work.tell(work.spawn(Flaky, { name: 'coder' }), 'boom', { reason: 'exploded on purpose' });
    await eventually(async () =>
      expect(
        texts().some(
          (t) =>
            t.includes('crash: coder') && t.includes('coder on work crashed: exploded on purpose'),
        ),
      ).toBe(true),
    );

    // A real ledger on a third node: a message deleted from the stream before it read it.
    const ledgerNode = await node('ledger');
    const origin = 'alerts.test/fleet';
    const opts = {
      dir: join(base, 'ledger'),
      origin,
      keys: ledgerKeysFromSeeds(origin, new Uint8Array(32).fill(5), new Uint8Array(32).fill(6)),
      sink: false as const,
      streamSettings: { denyDelete: false },
    };
    const js = jetstream(nc);
    const publish = (events: AuditEvent[]) =>
      js.publish(auditSubject('fleet', 'n1', 'agent'), encodeAuditBatch(events), {
        msgID: auditBatchId(events.map((e) => e.id)),
      });
    let ledger = await startAuditLedger(ledgerNode, opts);
    for (let i = 0; i < 3; i++) await publish([event('fleet')]);
    await eventually(async () => expect((await ledger.status()).cursor).toBe('3'));
    await ledger.close();
    for (let i = 0; i < 3; i++) await publish([event('fleet')]);
    expect(await (await jetstreamManager(nc)).streams.deleteMessage('TROUPE_AUDIT_fleet', 5)).toBe(
      true,
    );
    ledger = await startAuditLedger(ledgerNode, opts);
    await eventually(async () => expect((await ledger.status()).cursor).toBe('6'));
    await eventually(async () =>
      expect(texts().some((t) => t.includes('ledger gap: ledger'))).toBe(true),
    );
    const gap = texts().find((t) => t.includes('ledger gap'))!;
    expect(gap).toContain('skipped sequences 5..5');
    expect(gap).toContain('on ledger');
    await ledger.close();
  });
});

describe('alerts on a bridged site', () => {
  let a: TestSite;
  let b: TestSite;
  beforeAll(async () => {
    ({ a, b } = await startPairedSites());
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a peer lost is an alert; the link back up is its recovery', async () => {
    const before = bot.messages.length;
    const al = await startAlerts(a.system, {
      telegram: { botToken: TOKEN, chatId: CHAT, baseUrl: bot.baseUrl },
      log: false,
      tickMs: 50,
      auditDecoder: decodeAuditBatch,
    });
    alertsList.push(al);
    await b.restart();
    await eventually(async () => {
      const mine = texts().slice(before);
      expect(mine.some((t) => t.includes('mesh peer lost: siteB'))).toBe(true);
      expect(mine.some((t) => t.includes('the link to site siteB is up again'))).toBe(true);
    }, 30_000);
    await al.close();
  }, 60_000);
});
