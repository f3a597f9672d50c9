import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OverflowPolicy } from '../../runtime/context.ts';
import { BoundedQueue } from '../../runtime/mailbox/index.ts';
import { capacityArb, policyArb } from '../support/queue-arbitraries.ts';

/** The obvious model: a plain array, the policy applied by hand. */
function modelOffer(
  q: number[],
  cap: number,
  policy: OverflowPolicy,
  x: number,
): number | undefined {
  if (q.length < cap) {
    q.push(x);
    return undefined;
  }
  if (policy !== 'dropOldest') return x;
  const old = q.shift();
  q.push(x);
  return old;
}

const op = fc.oneof(
  fc.record({ k: fc.constant('offer' as const), x: fc.integer() }),
  fc.record({ k: fc.constant('shift' as const) }),
  fc.record({ k: fc.constant('drain' as const) }),
);

describe('BoundedQueue', () => {
  it('offer applies each overflow policy and returns what did not stay', () => {
    const fail = new BoundedQueue<string>(2, 'fail');
    expect([fail.offer('a'), fail.offer('b'), fail.offer('c')]).toEqual([
      undefined,
      undefined,
      'c',
    ]);
    expect(fail.drain()).toEqual(['a', 'b']);

    const newest = new BoundedQueue<string>(2, 'dropNewest');
    newest.offer('a');
    newest.offer('b');
    expect(newest.offer('c')).toBe('c');
    expect(newest.drain()).toEqual(['a', 'b']);

    const oldest = new BoundedQueue<string>(2, 'dropOldest');
    oldest.offer('a');
    oldest.offer('b');
    expect(oldest.offer('c')).toBe('a');
    expect(oldest.offer('d')).toBe('b');
    expect(oldest.drain()).toEqual(['c', 'd']);
  });

  it('behaves like an array model for any capacity, policy and sequence of operations', () => {
    fc.assert(
      fc.property(capacityArb, policyArb, fc.array(op, { maxLength: 300 }), (cap, policy, ops) => {
        const q = new BoundedQueue<number>(cap, policy);
        const m: number[] = [];
        for (const o of ops) {
          if (o.k === 'offer') expect(q.offer(o.x)).toBe(modelOffer(m, cap, policy, o.x));
          else if (o.k === 'shift') expect(q.shift()).toBe(m.shift());
          else expect(q.drain()).toEqual(m.splice(0));
          expect(q.length).toBe(m.length);
          expect(q.full).toBe(m.length >= cap);
          expect(q.peek()).toBe(m[0]);
        }
        expect(q.drain()).toEqual(m);
      }),
    );
  });

  it('unbounded (Infinity or the word) takes a large burst without refusing, in order', () => {
    for (const cap of [Number.POSITIVE_INFINITY, 'unbounded'] as const) {
      const q = new BoundedQueue<number>(cap);
      expect(q.unbounded).toBe(true);
      let refused = 0;
      for (let i = 0; i < 100_000; i++) if (q.offer(i) !== undefined) refused++;
      expect(refused).toBe(0);
      expect(q.full).toBe(false);
      expect(q.length).toBe(100_000);
      let outOfOrder = 0;
      for (let i = 0; i < 100_000; i++) if (q.shift() !== i) outOfOrder++;
      expect(outOfOrder).toBe(0);
      expect(q.shift()).toBeUndefined();
    }
  });

  it('keeps order across growth while wrapped around', () => {
    const q = new BoundedQueue<number>(1000);
    let next = 0;
    let expectNext = 0;
    // Interleave so the head sits mid-array whenever the ring grows.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 15; i++) q.push(next++);
      for (let i = 0; i < 7; i++) expect(q.shift()).toBe(expectNext++);
    }
    while (q.length > 0) expect(q.shift()).toBe(expectNext++);
    expect(expectNext).toBe(next);
  });

  it('refuses a capacity or policy that makes no sense', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '10' as unknown as number]) {
      expect(() => new BoundedQueue(bad)).toThrow(RangeError);
    }
    expect(() => new BoundedQueue(1, 'drop' as OverflowPolicy)).toThrow(RangeError);
  });
});
