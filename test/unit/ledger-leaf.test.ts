import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  commitPayload,
  decodeLeaf,
  encodeLeaf,
  type Leaf,
  LeafFormatError,
} from '../../protocols/ledger/index.ts';

const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const text = (min: number) => fc.string({ unit: 'grapheme', minLength: min, maxLength: 40 });

const event: fc.Arbitrary<Leaf> = fc.record({
  type: fc.constant('event' as const),
  streamSeq: fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }),
  aux: u64,
  stream: text(1),
  subject: text(1),
  msgId: text(0),
  prevLeafHash: hash32,
  payloadCommit: hash32,
});
const gap: fc.Arbitrary<Leaf> = fc
  .tuple(fc.bigInt({ min: 1n, max: 2n ** 63n }), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }))
  .chain(([first, extra]) =>
    fc.record({
      type: fc.constant('gap' as const),
      streamSeq: fc.constant(first),
      aux: fc.constant(first + extra),
      stream: text(1),
      subject: fc.constant(''),
      msgId: fc.constant(''),
      prevLeafHash: hash32,
      payloadCommit: fc.constant(new Uint8Array(32)),
    }),
  );
const control: fc.Arbitrary<Leaf> = fc.record({
  type: fc.constant('control' as const),
  streamSeq: u64,
  aux: u64,
  stream: text(0),
  subject: text(1),
  msgId: text(0),
  prevLeafHash: hash32,
  payloadCommit: hash32,
});
const anyLeaf = fc.oneof(event, gap, control);

const sample: Leaf = {
  type: 'event',
  streamSeq: 42n,
  aux: 1_750_000_000_123_456_789n,
  stream: 'TROUPE_AUDIT_dev',
  subject: 'troupe.dev.audit.node1.coder',
  msgId: '6f1c0a52-1c1e-4a0e-9d7e-1f7a1f6f0e11',
  prevLeafHash: new Uint8Array(32).fill(1),
  payloadCommit: new Uint8Array(32).fill(2),
};

describe('v1 leaf bytes', () => {
  it('has the documented layout', () => {
    const b = encodeLeaf(sample);
    expect(b[0]).toBe(1);
    expect(b[1]).toBe(0);
    expect(Buffer.from(b.subarray(2, 10)).readBigUInt64BE()).toBe(42n);
    expect(Buffer.from(b.subarray(10, 18)).readBigUInt64BE()).toBe(sample.aux);
    expect(Buffer.from(b.subarray(18, 20)).readUInt16BE()).toBe(16);
    expect(Buffer.from(b.subarray(20, 36)).toString()).toBe('TROUPE_AUDIT_dev');
    expect(b.length).toBe(18 + 6 + 16 + 28 + 36 + 64);
  });

  it('round trips every valid leaf', () => {
    fc.assert(
      fc.property(anyLeaf, (leaf) => {
        const bytes = encodeLeaf(leaf);
        expect(decodeLeaf(bytes)).toEqual(leaf);
      }),
      { numRuns: 500 },
    );
  });

  it('a mutated byte is refused or decodes to a different leaf that re-encodes to those bytes', () => {
    fc.assert(
      fc.property(anyLeaf, fc.nat(), fc.integer({ min: 1, max: 255 }), (leaf, at, x) => {
        const bytes = encodeLeaf(leaf);
        const bad = bytes.slice();
        bad[at % bad.length]! ^= x;
        let decoded: Leaf;
        try {
          decoded = decodeLeaf(bad);
        } catch (err) {
          expect(err).toBeInstanceOf(LeafFormatError);
          return;
        }
        expect(decoded).not.toEqual(leaf);
        expect(Buffer.from(encodeLeaf(decoded)).equals(Buffer.from(bad))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses truncation and trailing bytes', () => {
    fc.assert(
      fc.property(anyLeaf, fc.nat(), (leaf, cut) => {
        const bytes = encodeLeaf(leaf);
        expect(() => decodeLeaf(bytes.subarray(0, cut % bytes.length))).toThrow(LeafFormatError);
        expect(() => decodeLeaf(Buffer.concat([bytes, Buffer.of(cut % 256)]))).toThrow(
          LeafFormatError,
        );
      }),
    );
  });

  it.each([
    ['version 0', [[0, 0]]],
    ['version 2', [[0, 2]]],
    ['type 3', [[1, 3]]],
    ['stream length too long', [[19, 200]]],
    ['stream length one short', [[19, 15]]],
    ['invalid UTF-8 in the stream', [[20, 0xff]]],
    ['event sequence 0', [[9, 0]]],
    ['an event as a gap (subject present)', [[1, 1]]],
  ] as Array<[string, Array<[number, number]>]>)('refuses %s', (_, patch) => {
    const b = encodeLeaf({ ...sample, streamSeq: 42n });
    for (const [at, value] of patch) b[at] = value;
    expect(() => decodeLeaf(b)).toThrow(LeafFormatError);
  });

  it('refuses to encode what it would not decode', () => {
    const gapLeaf: Leaf = {
      ...sample,
      type: 'gap',
      subject: '',
      msgId: '',
      payloadCommit: new Uint8Array(32),
    };
    expect(() => encodeLeaf({ ...gapLeaf, aux: 41n })).toThrow(LeafFormatError); // last < first
    expect(() => encodeLeaf({ ...gapLeaf, subject: 'x' })).toThrow(LeafFormatError);
    expect(() => encodeLeaf({ ...gapLeaf, payloadCommit: new Uint8Array(32).fill(1) })).toThrow(
      LeafFormatError,
    );
    expect(() => encodeLeaf({ ...sample, streamSeq: 2n ** 64n })).toThrow(LeafFormatError);
    expect(() => encodeLeaf({ ...sample, subject: '\ud800' })).toThrow(LeafFormatError);
    expect(() => encodeLeaf({ ...sample, subject: 'x'.repeat(70_000) })).toThrow(LeafFormatError);
    expect(() => encodeLeaf({ ...sample, prevLeafHash: new Uint8Array(31) })).toThrow(
      LeafFormatError,
    );
  });
});

describe('payload commitment', () => {
  it('is SHA-256("troupe-audit/payload/v1" ‖ 0x00 ‖ salt ‖ payload)', () => {
    fc.assert(
      fc.property(hash32, fc.uint8Array({ maxLength: 5000 }), (salt, payload) => {
        const want = createHash('sha256')
          .update('troupe-audit/payload/v1')
          .update(Buffer.of(0))
          .update(salt)
          .update(payload)
          .digest();
        expect(Buffer.from(commitPayload(salt, payload)).equals(want)).toBe(true);
      }),
    );
    expect(() => commitPayload(new Uint8Array(31), new Uint8Array(0))).toThrow(RangeError);
  });
});
