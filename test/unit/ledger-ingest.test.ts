import { afterEach, describe, expect, it } from 'vitest';
import {
  createIngester,
  ForkAlarmError,
  type IngestAlert,
  IngestHaltedError,
  IngestRecordError,
  type StreamRecord,
  verifyLedger,
} from '../../actors/ledger/index.ts';
import { openTestLedger, STREAM, tmpDir } from '../support/ledger-fixtures.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function rec(seq: number, over: Partial<StreamRecord> = {}): StreamRecord {
  return {
    seq: BigInt(seq),
    subject: 'troupe.test.audit.node1.coder',
    msgId: `action-${seq}`,
    payload: Buffer.from(`{"seq":${seq}}`),
    timestampNs: 1_750_000_000_000_000_000n + BigInt(seq) * 1000n,
    ...over,
  };
}

async function setup() {
  const t = tmpDir();
  cleanups.push(t.cleanup);
  const ledger = await openTestLedger(t.dir);
  const alerts: IngestAlert[] = [];
  const ingest = createIngester(ledger, { stream: STREAM, onAlert: (a) => alerts.push(a) });
  return { dir: t.dir, ledger, ingest, alerts };
}

describe('ingest state machine', () => {
  it('appends in order and reports one outcome per record', async () => {
    const { ledger, ingest } = await setup();
    const r = await ingest.offer([rec(1), rec(2), rec(3)]);
    expect(r.outcomes.map((o) => [o.kind, o.seq])).toEqual([
      ['appended', 1n],
      ['appended', 2n],
      ['appended', 3n],
    ]);
    expect(ledger.size).toBe(3);
    expect(ingest.cursor).toBe(3n);
    await ledger.close();
  });

  it('drops a redelivery with equal content, also inside one batch', async () => {
    const { ledger, ingest, alerts } = await setup();
    await ingest.offer([rec(1), rec(2)]);
    const r = await ingest.offer([rec(2), rec(3), rec(3), rec(1)]);
    expect(r.outcomes).toEqual([
      { kind: 'duplicate', seq: 2n, index: 1, payloadChecked: true },
      { kind: 'appended', seq: 3n, index: 2 },
      { kind: 'duplicate', seq: 3n, index: 2, payloadChecked: true },
      { kind: 'duplicate', seq: 1n, index: 0, payloadChecked: true },
    ]);
    expect(ledger.size).toBe(3);
    expect(alerts).toEqual([]);
    await ledger.close();
  });

  it.each([
    ['payload', { payload: Buffer.from('{"seq":2,"evil":true}') }],
    ['subject', { subject: 'troupe.test.audit.node1.other' }],
    ['msg id', { msgId: 'action-x' }],
    ['timestamp', { timestampNs: 1n }],
  ])('a redelivery with another %s is a fork: alarm, stop appending', async (_, change) => {
    const { ledger, ingest, alerts } = await setup();
    await ingest.offer([rec(1), rec(2)]);
    const r = await ingest.offer([rec(3), rec(2, change), rec(4)]);
    expect(r.outcomes.map((o) => o.kind)).toEqual(['appended', 'fork']);
    expect(r.fork).toBeInstanceOf(ForkAlarmError);
    expect(r.fork).toMatchObject({ seq: 2n, index: 1 });
    expect(ledger.size).toBe(3); // 3 went in before the fork; 4 did not
    expect(alerts.at(-1)).toMatchObject({ kind: 'fork', seq: 2n });
    await expect(ingest.offer([rec(4)])).rejects.toThrow(IngestHaltedError);
    expect(ledger.size).toBe(3);
    await ledger.close();
  });

  it('a stream gap becomes one GAP entry and an alert; a late arrival fills it once', async () => {
    const { dir, ledger, ingest, alerts } = await setup();
    await ingest.offer([rec(1)]);
    const r = await ingest.offer([rec(5)]);
    expect(r.outcomes).toEqual([
      { kind: 'appended', seq: 5n, index: 2, gap: { first: 2n, last: 4n, index: 1 } },
    ]);
    expect(ledger.entry(1).leaf).toMatchObject({ type: 'gap', streamSeq: 2n, aux: 4n });
    expect(alerts).toEqual([{ kind: 'gap', first: 2n, last: 4n, index: 1 }]);
    const late = await ingest.offer([rec(3), rec(3)]);
    expect(late.outcomes).toEqual([
      { kind: 'late', seq: 3n, index: 3 },
      { kind: 'duplicate', seq: 3n, index: 3, payloadChecked: true },
    ]);
    expect(alerts.at(-1)).toEqual({ kind: 'late', seq: 3n, index: 3 });
    expect((await ingest.offer([rec(3)])).outcomes[0]!.kind).toBe('duplicate');
    await ledger.checkpoint();
    await ledger.close();
    expect(await verifyLedger(dir)).toMatchObject({ ok: true, size: 4, lastStreamSeq: 5n });
  });

  it('a publisher retry outside the dedupe window is appended and flagged, across restarts', async () => {
    const { dir, ledger, ingest, alerts } = await setup();
    await ingest.offer([rec(1), rec(2)]);
    const r = await ingest.offer([rec(3, { msgId: 'action-1' })]);
    expect(r.outcomes).toEqual([{ kind: 'appended', seq: 3n, index: 2, dupOf: 0 }]);
    expect(alerts).toEqual([{ kind: 'retry', seq: 3n, msgId: 'action-1', index: 2, dupOf: 0 }]);
    await ledger.close();
    const again = await openTestLedger(dir);
    const fresh = createIngester(again, { stream: STREAM });
    const r2 = await fresh.offer([
      rec(4, { msgId: 'action-2' }),
      rec(5, { msgId: '' }),
      rec(6, { msgId: '' }),
    ]);
    expect(r2.outcomes).toEqual([
      { kind: 'appended', seq: 4n, index: 3, dupOf: 1 },
      { kind: 'appended', seq: 5n, index: 4 },
      { kind: 'appended', seq: 6n, index: 5 },
    ]);
    await again.close();
  });

  it('forgets msg ids beyond the retry window', async () => {
    const { ledger } = await setup();
    const ingest = createIngester(ledger, { stream: STREAM, retryWindow: 2 });
    await ingest.offer([rec(1), rec(2), rec(3)]);
    const r = await ingest.offer([rec(4, { msgId: 'action-1' }), rec(5, { msgId: 'action-3' })]);
    expect(r.outcomes).toEqual([
      { kind: 'appended', seq: 4n, index: 3 },
      { kind: 'appended', seq: 5n, index: 4, dupOf: 2 },
    ]);
    await ledger.close();
  });

  it('after erasure, a redelivery is compared on its clear fields and flagged', async () => {
    const { ledger, ingest, alerts } = await setup();
    await ingest.offer([rec(1), rec(2)]);
    await ledger.erasePayload(0);
    const r = await ingest.offer([rec(1)]);
    expect(r.outcomes).toEqual([{ kind: 'duplicate', seq: 1n, index: 0, payloadChecked: false }]);
    expect(alerts).toEqual([{ kind: 'unverifiable-duplicate', seq: 1n, index: 0 }]);
    // Clear fields still expose a different message.
    const f = await ingest.offer([rec(1, { subject: 'other.subject' })]);
    expect(f.fork?.reason).toBe('subject differs');
    await ledger.close();
  });

  it('refuses records no stream could deliver, appending nothing', async () => {
    const { ledger, ingest } = await setup();
    for (const bad of [
      rec(0),
      { ...rec(1), seq: 1 as unknown as bigint },
      rec(1, { subject: '' }),
    ]) {
      await expect(ingest.offer([rec(1), bad])).rejects.toThrow(IngestRecordError);
    }
    expect(ledger.size).toBe(0);
    // Still usable afterwards.
    expect((await ingest.offer([rec(1)])).outcomes[0]!.kind).toBe('appended');
    await ledger.close();
  });

  it('concurrent offers are serialized', async () => {
    const { ledger, ingest } = await setup();
    const rs = await Promise.all([
      ingest.offer([rec(1), rec(2)]),
      ingest.offer([rec(2), rec(3)]),
      ingest.offer([rec(4)]),
    ]);
    expect(rs.flatMap((r) => r.outcomes.map((o) => o.kind))).toEqual([
      'appended',
      'appended',
      'duplicate',
      'appended',
      'appended',
    ]);
    expect(ledger.size).toBe(4);
    await ledger.close();
  });
});
