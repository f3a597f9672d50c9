import { decode, ExtData, encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeBodyBin } from '../../protocols/envelope/body-codec.ts';
import { decodeBody, EnvelopeError, MsgpackWriter } from '../../protocols/envelope/index.ts';

/** Encode a body the way the transport does, and return just its bytes. */
function encodeFast(value: unknown): Uint8Array {
  const w = new MsgpackWriter(16);
  writeBodyBin(w, value);
  const bin = decode(w.buf.subarray(0, w.pos)) as Uint8Array;
  return bin;
}

const key = fc.string({ maxLength: 20 }).filter((k) => k !== '__proto__');
const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  // -0 is kept by troupe's codec (the general encoder writes +0): compared separately below.
  fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0)),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.date({ noInvalidDate: true }),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('v'), { maxLength: 6 }),
    fc.dictionary(key, tie('v'), { maxKeys: 6 }),
  ),
})).v;

describe('message body codec', () => {
  it('writes MessagePack that the general decoder reads back equal (property)', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(decode(encodeFast(v))).toEqual(decode(encode(v)));
      }),
      { numRuns: 1000 },
    );
  });

  it('reads what the general encoder writes (property)', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(decodeBody(encode(v, { ignoreUndefined: true }))).toEqual(decode(encode(v)));
      }),
      { numRuns: 1000 },
    );
  });

  it('hands values it does not walk to the general codec, with the same result', () => {
    const odd = {
      big: new Int16Array([1, -2, 3]),
      ext: new ExtData(7, new Uint8Array([1, 2, 3])),
      skipped: undefined,
      nested: { deep: [1, { x: undefined, y: 2 }] },
      huge: 2 ** 60,
      neg: -(2 ** 40),
    };
    expect(decodeBody(encodeFast(odd))).toEqual(decode(encode(odd, { ignoreUndefined: true })));
  });

  it('keeps -0, NaN and infinities', () => {
    expect(Object.is(decodeBody(encodeFast(-0)), -0)).toBe(true);
    expect(decodeBody(encodeFast([Number.NaN, Infinity, -Infinity]))).toEqual([
      Number.NaN,
      Infinity,
      -Infinity,
    ]);
  });

  it('keeps a __proto__ key as plain data', () => {
    const bytes = encode(JSON.parse('{"__proto__":{"polluted":1},"a":1}'));
    const v = decodeBody(bytes) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(v).sort()).toEqual(['__proto__', 'a']);
  });

  it('rejects truncated and malformed bodies with EnvelopeError only', () => {
    const good = encode({ a: [1, 'two', new Uint8Array(40)], b: 'x'.repeat(40) });
    for (let n = 0; n < good.length; n++) {
      expect(() => decodeBody(good.subarray(0, n))).toThrow(EnvelopeError);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeBody(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(EnvelopeError);
        }
      }),
      { numRuns: 3000 },
    );
    expect(() => decodeBody(new Uint8Array([0xc1]))).toThrow(/0xc1/);
    expect(() => decodeBody(new Uint8Array([0x01, 0x02]))).toThrow(/trailing/);
  });
});
