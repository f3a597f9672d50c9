import { decode, decodeMulti } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBatch,
  decodeBody,
  decodeEnvelope,
  type Envelope,
  EnvelopeError,
  encodeBody,
  encodeEnvelope,
  Kind,
  MsgpackWriter,
  writeEnvelope,
} from '../../protocols/envelope/index.ts';

const arbEnvelope: fc.Arbitrary<Envelope> = fc.record({
  id: fc.maxSafeNat(),
  kind: fc.constantFrom(Kind.tell, Kind.ask, Kind.reply, Kind.error, Kind.system),
  to: fc.string({ unit: 'grapheme', maxLength: 80 }),
  from: fc.option(fc.string({ unit: 'grapheme', maxLength: 80 }), { nil: null }),
  type: fc.string({ maxLength: 40 }),
  corr: fc.option(fc.maxSafeNat(), { nil: null }),
  deadline: fc.maxSafeNat(),
  trace: fc.option(fc.string({ maxLength: 60 }), { nil: null }),
  hops: fc.nat(1000),
  body: fc.uint8Array({ maxLength: 70_000 }),
});

/** The plainest tell, encoded: what the corruption tests start from. */
const plainTell = (body: Uint8Array) =>
  encodeEnvelope({
    id: 1,
    kind: Kind.tell,
    to: 'a',
    from: null,
    type: 't',
    corr: null,
    deadline: 0,
    trace: null,
    hops: 0,
    body,
  });

describe('envelope codec', () => {
  it('round-trips any envelope', () => {
    fc.assert(
      fc.property(arbEnvelope, (e) => {
        expect(decodeEnvelope(encodeEnvelope(e))).toEqual(e);
      }),
      { numRuns: 300 },
    );
  });

  it('is plain MessagePack: a general decoder reads the same fields', () => {
    fc.assert(
      fc.property(arbEnvelope, (e) => {
        const arr = decode(encodeEnvelope(e)) as unknown[];
        expect(arr).toEqual([
          1,
          e.id,
          e.kind,
          e.to,
          e.from,
          e.type,
          e.corr,
          e.deadline,
          e.trace,
          e.hops,
          e.body,
        ]);
      }),
      { numRuns: 200 },
    );
  });

  it('reads a batch of envelopes back to back, in order', () => {
    fc.assert(
      fc.property(fc.array(arbEnvelope, { minLength: 1, maxLength: 20 }), (es) => {
        const w = new MsgpackWriter(16);
        for (const e of es) writeEnvelope(w, e);
        const bytes = w.buf.subarray(0, w.pos);
        expect(decodeBatch(bytes)).toEqual(es);
        expect([...decodeMulti(bytes)]).toHaveLength(es.length);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects every truncation and trailing garbage with EnvelopeError', () => {
    const e: Envelope = {
      id: 7,
      kind: Kind.ask,
      to: 'team/coder',
      from: 'team/planner',
      type: 'review',
      corr: 99,
      deadline: Date.now() + 1000,
      trace: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      hops: 2,
      body: encodeBody({ file: 'a.ts', lines: [1, 2, 3] }),
    };
    const bytes = encodeEnvelope(e);
    for (let n = 0; n < bytes.length; n++) {
      expect(() => decodeEnvelope(bytes.subarray(0, n))).toThrow(EnvelopeError);
    }
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => decodeEnvelope(longer)).toThrow(/trailing/);
    expect(() => decodeBatch(new Uint8Array(0))).toThrow(EnvelopeError);
  });

  it('never throws anything but EnvelopeError on random or mutated bytes', () => {
    const good = plainTell(encodeBody('x'));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
            const m = good.slice();
            m[i] = v;
            return m;
          }),
        ),
        (bytes) => {
          try {
            decodeBatch(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(EnvelopeError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects unknown versions and kinds', () => {
    const bytes = plainTell(new Uint8Array(0));
    const v2 = bytes.slice();
    v2[1] = 2;
    expect(() => decodeEnvelope(v2)).toThrow(/version 2/);
    const k9 = bytes.slice();
    k9[3] = 9;
    expect(() => decodeEnvelope(k9)).toThrow(/kind 9/);
  });

  it('encodes bodies as MessagePack and reports values it cannot encode', () => {
    expect(decodeBody(encodeBody({ a: [1, 'two', null] }))).toEqual({ a: [1, 'two', null] });
    expect(() => encodeBody(() => 1)).toThrow(EnvelopeError);
    expect(() => decodeBody(new Uint8Array([0xc1]))).toThrow(EnvelopeError);
  });
});
