import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OverflowPolicy } from '../../runtime/context.ts';
import { Letter, LetterKind } from '../../runtime/letter.ts';
import { LetterQueue } from '../../runtime/mailbox/index.ts';
import { capacityArb, policyArb } from '../support/queue-arbitraries.ts';

/** What a test compares: the fields a handler and a refusal see. */
type Seen = [kind: number, type: string, body: unknown, from: string | null, trace: string | null];
const seen = (l: Letter | undefined): Seen | undefined =>
  l === undefined ? undefined : [l.kind, l.type, l.body, l.from, l.trace];

const part = fc.oneof(fc.constant(null), fc.constantFrom('a', 'b/c', 'sys/x'));
const op = fc.oneof(
  // A plain local tell, kept as parts.
  fc.record({
    k: fc.constant('tell' as const),
    type: fc.constantFrom('add', 'set', 'x'),
    body: fc.oneof(fc.integer(), fc.record({ n: fc.integer() })),
    from: part,
    trace: part,
  }),
  // A whole letter (an ask, a remote tell with hops).
  fc.record({
    k: fc.constant('letter' as const),
    kind: fc.constantFrom(LetterKind.tell, LetterKind.ask),
    body: fc.integer(),
    hops: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ k: fc.constant('shift' as const) }),
  fc.record({ k: fc.constant('drain' as const) }),
);

describe('LetterQueue (an actor mailbox)', () => {
  it('behaves like an array of letters for any capacity, policy and sequence of operations', () => {
    fc.assert(
      fc.property(capacityArb, policyArb, fc.array(op, { maxLength: 400 }), (cap, policy, ops) => {
        const q = new LetterQueue(cap, policy);
        const m: Letter[] = [];
        for (const o of ops) {
          if (o.k === 'tell') {
            // The mailbox's caller only pushes parts when there is room.
            if (m.length >= cap) continue;
            q.pushTell(o.type, o.body, o.from, o.trace);
            m.push(new Letter(LetterKind.tell, o.type, o.body, o.from, null, 0, o.trace, 0));
          } else if (o.k === 'letter') {
            const l = new Letter(o.kind, 't', o.body, null, null, 0, null, o.hops);
            const lost = q.offer(l);
            if (m.length < cap) {
              expect(lost).toBeUndefined();
              m.push(l);
            } else if (policy === 'dropOldest') {
              expect(seen(lost)).toEqual(seen(m.shift()));
              m.push(l);
            } else expect(lost).toBe(l);
          } else if (o.k === 'shift') {
            const got = q.shift();
            const want = m.shift();
            expect(seen(got)).toEqual(seen(want));
            // Whole letters come back as the same object (an ask's reply target rides on it).
            if (want !== undefined && want.hops > 0) expect(got).toBe(want);
          } else expect(q.drain().map(seen)).toEqual(m.splice(0).map(seen));
          expect(q.length).toBe(m.length);
          expect(q.full).toBe(m.length >= cap);
        }
        expect(q.drain().map(seen)).toEqual(m.map(seen));
      }),
    );
  });

  it('keeps a million queued tells in order across its chained segments, and starts over when empty', () => {
    const q = new LetterQueue('unbounded');
    const n = 1_000_000;
    for (let i = 0; i < n; i++) q.pushTell('add', i, null, null);
    expect(q.length).toBe(n);
    let outOfOrder = 0;
    for (let i = 0; i < n; i++) if (q.shift()!.body !== i) outOfOrder++;
    expect(outOfOrder).toBe(0);
    expect(q.shift()).toBeUndefined();
    q.pushTell('add', 'again', 'p', null);
    expect(seen(q.shift())).toEqual([LetterKind.tell, 'add', 'again', 'p', null]);
  });

  it('refuses a capacity or policy that makes no sense', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new LetterQueue(bad)).toThrow(RangeError);
    }
    expect(() => new LetterQueue(1, 'drop' as OverflowPolicy)).toThrow(RangeError);
  });
});
