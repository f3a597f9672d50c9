import { Encoder } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import {
  AuditBatchError,
  AuditEncodeError,
  auditBatchId,
  auditSubject,
  decodeAuditBatch,
  encodeAuditBatch,
  encodeAuditEvent,
} from '../../actors/ledger/index.ts';
import type { AuditEvent } from '../../runtime/index.ts';

function ev(i: number, data: Record<string, unknown> = { step: i }): AuditEvent {
  return {
    id: `abc-${i}`,
    kind: 'tool.call',
    system: 'dev',
    node: 'n1',
    actor: 'team/coder',
    at: 1_750_000_000_000 + i,
    trace: i % 2 ? null : '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    data,
  };
}

describe('audit batch format', () => {
  it('is the canonical MessagePack of [1, events] with sorted keys', () => {
    const events = [ev(1, { z: 1, a: { y: 2, b: [1, 'x'] } }), ev(2), ev(3)];
    const mine = encodeAuditBatch(events);
    const reference = new Encoder({
      sortKeys: true,
      ignoreUndefined: true,
      useBigInt64: true,
    }).encode([1, events.map((e) => ({ ...e }))]);
    expect(Buffer.from(mine).equals(Buffer.from(reference))).toBe(true);
    expect(decodeAuditBatch(mine)).toEqual(events);
  });

  it('gives the same bytes for the same events, whatever the key order they were built in', () => {
    const a = ev(1, { b: 1, a: 2 });
    const b = { ...ev(1), data: { a: 2, b: 1 } };
    expect(Buffer.from(encodeAuditEvent(a)).equals(Buffer.from(encodeAuditEvent(b)))).toBe(true);
  });

  it('uses the shortest array header for any count', () => {
    for (const n of [0, 1, 15, 16, 300, 70_000]) {
      const events = Array.from({ length: Math.min(n, 70_000) }, (_, i) => ev(i));
      const bytes = encodeAuditBatch(events);
      expect(decodeAuditBatch(bytes)).toHaveLength(n);
    }
  });

  it('refuses bytes that are not a canonical version-1 batch (typed)', () => {
    const enc = new Encoder();
    const cases: Uint8Array[] = [
      new Uint8Array([0xc1]),
      enc.encode([2, [ev(1)]]),
      enc.encode([1, [{ ...ev(1), extra: 1 }]]),
      enc.encode([1, [{ ...ev(1), id: '' }]]),
      enc.encode({ v: 1 }),
      // Unsorted keys: valid MessagePack, not canonical.
      enc.encode([
        1,
        [
          {
            trace: null,
            system: 'dev',
            node: 'n1',
            kind: 'k',
            id: 'i',
            data: {},
            at: 1,
            actor: 'a',
          },
        ],
      ]),
    ];
    for (const c of cases) expect(() => decodeAuditBatch(c)).toThrow(AuditBatchError);
  });

  it('says which event cannot be encoded', () => {
    expect(() => encodeAuditEvent(ev(1, { f: () => 1 }))).toThrow(AuditEncodeError);
  });

  it('derives the batch id from the event ids: deterministic, order- and boundary-sensitive', () => {
    const id = auditBatchId(['a-1', 'a-2']);
    expect(id).toMatch(/^ab1-[A-Za-z0-9_-]{22}$/);
    expect(auditBatchId(['a-1', 'a-2'])).toBe(id);
    expect(auditBatchId(['a-2', 'a-1'])).not.toBe(id);
    expect(auditBatchId(['a-1a-2'])).not.toBe(id);
  });

  it('builds subjects from actor paths, replacing what NATS would misread', () => {
    expect(auditSubject('dev', 'n1', 'team/coder')).toBe('troupe.dev.audit.n1.team.coder');
    expect(auditSubject('dev', 'n1', 'sys/runtime')).toBe('troupe.dev.audit.n1.sys.runtime');
    expect(auditSubject('dev', 'n.1', 'a b/*/>')).toBe('troupe.dev.audit.n_1.a_b._._');
    expect(auditSubject('dev', 'n1', '')).toBe('troupe.dev.audit.n1._');
  });
});
