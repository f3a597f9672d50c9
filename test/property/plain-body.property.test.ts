/**
 * The copy-free body check (runtime/plain-body.ts) against zod itself: for random plain
 * schemas and random inputs (conforming ones, near misses and anything at all), whenever the
 * check says "keep the body", zod must accept it and return a copy equal to it, key order
 * included; and zod's own output for an accepted body must pass the check (so the fast path
 * is really taken for ordinary bodies).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { plainCheck } from '../../runtime/plain-body.ts';

type S = z.ZodType;

const leaf: fc.Arbitrary<S> = fc.constantFrom<S>(
  z.string(),
  z.number(),
  z.number().int(),
  z.int(),
  z.boolean(),
  z.enum(['a', 'b', 'c']),
);

// Odd keys too: generated checks must read them by name, never as code.
const keyName = fc.constantFrom(
  'a',
  'b',
  'c',
  'n',
  'id',
  'name',
  'tags',
  'x',
  'q"uote',
  "it's",
  'back\\slash',
  'line\nbreak',
  '}; return true; {',
  'ünï',
);

const { schema } = fc.letrec<{ schema: S }>((tie) => ({
  schema: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('schema').map((s) => s.optional() as S),
    tie('schema').map((s) => s.nullable() as S),
    // An array of optional elements is declined on purpose (see the last tests).
    tie('schema').map((s) => z.array(s._zod.optin === 'optional' ? z.string() : s) as S),
    fc
      .tuple(
        fc.uniqueArray(fc.tuple(keyName, tie('schema')), { selector: (e) => e[0], maxLength: 5 }),
        fc.boolean(),
      )
      .map(([fields, strict]) => {
        const shape = Object.fromEntries(fields);
        return (strict ? z.strictObject(shape) : z.object(shape)) as S;
      }),
  ),
})) as unknown as { schema: fc.Arbitrary<S> };

/** Values that look like what the schemas describe, with the odd near miss. */
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom<unknown>(
      'a',
      'b',
      'z',
      '',
      0,
      -0,
      1,
      2.5,
      -7,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 53,
      true,
      false,
      null,
      undefined,
    ),
    fc.anything({ maxDepth: 2, withSparseArray: true, withNullPrototype: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keyName, tie('value'), { maxKeys: 5 }),
    fc.dictionary(keyName, tie('value'), { maxKeys: 5, noNullPrototype: false }),
  ),
})) as unknown as { value: fc.Arbitrary<unknown> };

/** Deep equality that also compares key order, prototypes and -0. */
function sameData(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null)
    return Object.is(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (i in a !== i in bb || !sameData(a[i], bb[i])) return false;
    }
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join('\u0000') !== kb.join('\u0000')) return false;
  return ka.every((k) =>
    sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

describe('plainCheck', () => {
  it('keeps a body only when zod accepts it and its copy is the same data', () => {
    fc.assert(
      fc.property(schema, fc.array(value, { minLength: 1, maxLength: 6 }), (s, vs) => {
        const check = plainCheck(s);
        expect(check).not.toBeNull();
        for (const v of vs) {
          if (!check!(v)) continue;
          const r = s.safeParse(v);
          expect(r.success).toBe(true);
          expect(sameData(r.data, v)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("takes the fast path for zod's own output of an accepted body", () => {
    fc.assert(
      fc.property(schema, fc.array(value, { minLength: 1, maxLength: 6 }), (s, vs) => {
        const check = plainCheck(s)!;
        for (const v of vs) {
          const r = s.safeParse(v);
          if (r.success) expect(check(r.data)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('says "ask zod" for bodies that differ from the copy zod would make', () => {
    const check = plainCheck(z.object({ a: z.string(), b: z.number().optional() }))!;
    expect(check({ a: 'x' })).toBe(true);
    expect(check({ a: 'x', b: 1 })).toBe(true);
    expect(check({ b: 1, a: 'x' })).toBe(false); // zod reorders
    expect(check({ a: 'x', extra: 1 })).toBe(false); // zod strips
    expect(check(Object.assign(Object.create(null), { a: 'x' }))).toBe(false); // zod's copy is plain
    expect(check(Object.create({ a: 'x' }))).toBe(false); // inherited
    expect(check({ a: 'x', b: Number.NaN })).toBe(false);
    // A hole would become an explicit undefined in zod's copy.
    expect(plainCheck(z.array(z.string().optional()))).toBeNull();
    expect(plainCheck(z.array(z.string().optional().nullable()))).toBeNull();
  });

  it('declines schemas whose output is not the input', () => {
    for (const s of [
      z.string().transform((x) => x.length),
      z.number().default(1),
      z.coerce.number(),
      z.looseObject({ a: z.string() }),
      z.object({ a: z.string() }).passthrough(),
      z.object({ a: z.string() }).refine(() => true),
      z.string().min(1),
      z.number().positive(),
      z.unknown(),
      z.any(),
      z.date(),
      z.record(z.string(), z.number()),
      z.union([z.string(), z.number()]),
      z.object({ a: z.string().trim() }),
    ]) {
      expect(plainCheck(s)).toBeNull();
    }
    expect(plainCheck({})).toBeNull();
    expect(plainCheck(null)).toBeNull();
  });
});
