import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ActorRef,
  actorRef,
  actorRefSchema,
  InvalidArgument,
  Rejected,
  type RuntimeEvent,
  senderRef,
  shardRef,
} from '../../index.ts';
import { decodeBody, encodeBody } from '../../protocols/envelope/index.ts';
import { Pinger, type PingerProtocol, Ponger } from '../support/ref-defs.ts';
import { testSystems } from '../support/test-systems.ts';

const { start } = testSystems({ name: 'test' });

/** What MessagePack over NATS makes of a body. */
const overTheWire = (v: unknown): unknown => decodeBody(encodeBody(v));

/** Whether the kernel itself accepts this address (its builder throws otherwise). */
function kernelAccepts(system: string, path: string): boolean {
  try {
    actorRef(system, path);
    return true;
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgument);
    return false;
  }
}

describe('actorRef() schema', () => {
  it('accepts refs the kernel makes, before and after MessagePack', async () => {
    const sys = await start();
    const pinger = sys.spawn(Pinger, { name: 'pinger' });
    const refs: ActorRef[] = [
      pinger,
      actorRef('test', 'team/coder/sub-1'),
      senderRef('test', 'other:team/x'),
      { system: 'a_b-C9', path: 'x'.repeat(128) },
    ];
    const schema = actorRef<PingerProtocol>();
    for (const r of refs) {
      expect(schema.parse(r)).toEqual({ system: r.system, path: r.path });
      expect(schema.parse(overTheWire(r))).toEqual({ system: r.system, path: r.path });
    }
  });

  it.each([
    ['null', null],
    ['a string', 'test/a'],
    ['an empty object', {}],
    ['no path', { system: 'test' }],
    ['an empty system', { system: '', path: 'a' }],
    ['an empty path', { system: 'test', path: '' }],
    ['a dotted system', { system: 'a.b', path: 'x' }],
    ['a dotted path', { system: 'test', path: 'a.b' }],
    ['a leading slash', { system: 'test', path: '/a' }],
    ['a trailing slash', { system: 'test', path: 'a/' }],
    ['an empty segment', { system: 'test', path: 'a//b' }],
    ['a wildcard', { system: 'test', path: 'a/*' }],
    ['a tail wildcard', { system: 'test', path: '>' }],
    ['whitespace', { system: 'test', path: 'a b' }],
    ['a qualified path', { system: 'test', path: 'other:a' }],
    ['a segment over 128', { system: 'test', path: 'x'.repeat(129) }],
    ['a number for system', { system: 1, path: 'a' }],
    ['an extra key', { system: 'test', path: 'a', extra: 1 }],
    ['a shard ref', { system: 'test', shard: 'worker' }],
  ])('rejects %s', (_what, value) => {
    expect(actorRef().safeParse(value).success).toBe(false);
    expect(actorRef().safeParse(overTheWire(value)).success).toBe(false);
  });

  it('agrees with the kernel on every system and path', () => {
    const chars = fc.constantFrom(...'aZ09_-./*> :'.split(''));
    const piece = fc.string({ unit: chars, maxLength: 6 });
    const segment = fc.oneof(piece, fc.constant('x'.repeat(128)), fc.constant('y'.repeat(129)));
    const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
    fc.assert(
      fc.property(segment, path, (system, p) => {
        const wire = overTheWire({ system, path: p });
        expect(actorRefSchema().safeParse(wire).success).toBe(kernelAccepts(system, p));
      }),
      { numRuns: 500 },
    );
  });

  it('shardRef() takes a shard ref and nothing else', () => {
    const schema = shardRef();
    expect(schema.parse(overTheWire(shardRef('test', 'worker')))).toEqual({
      system: 'test',
      shard: 'worker',
    });
    expect(schema.safeParse({ system: 'test', path: 'a' }).success).toBe(false);
    expect(schema.safeParse({ system: 'test', shard: 'a/b' }).success).toBe(false);
    expect(schema.safeParse({ system: 'test', shard: 'w', path: 'a' }).success).toBe(false);
  });

  it('refuses what is neither a ref to build nor a protocol to name', () => {
    expect(() => actorRef(42 as never)).toThrow(InvalidArgument);
    expect(() => actorRef({} as never)).toThrow(InvalidArgument);
    expect(() => actorRef('test' as never)).toThrow(InvalidArgument);
    expect(() => actorRef('a.b', 'x')).toThrow(InvalidArgument);
    expect(() => shardRef(null as never)).toThrow(InvalidArgument);
    // A definition or a bare protocol names the type; the schema is the same.
    expect(actorRef(Ponger).safeParse({ system: 'test', path: 'p' }).success).toBe(true);
    expect(actorRef({ tells: {}, asks: {} }).safeParse({ system: 'x' }).success).toBe(false);
  });
});

describe('refs in messages, at the receiving edge', () => {
  it('ping-pong answers through the replyTo ref in each ping', async () => {
    const sys = await start();
    const ponger = sys.spawn(Ponger, { name: 'ponger' });
    const pinger = sys.spawn(Pinger, { name: 'pinger' });
    const got = await sys.ask(pinger, 'run', { to: ponger, rounds: 5 }, { timeout: 2000 });
    expect(got).toEqual([0, 1, 2, 3, 4]);
    const back = await sys.ask(ponger, 'echo', { ref: pinger }, { timeout: 2000 });
    expect(back).toEqual({ system: 'test', path: 'pinger' });
  });

  it('a tell with a malformed ref goes to dead letters as rejected, naming the field', async () => {
    const sys = await start();
    const ponger = sys.spawn(Ponger, { name: 'ponger' });
    const events: RuntimeEvent[] = [];
    sys.on((e) => events.push(e));
    const bad = { system: 'test', path: 'a.b' } as ActorRef<PingerProtocol>;
    sys.tell(ponger, 'ping', { n: 1, replyTo: bad });
    await sys.whenQuiescent();
    const dl = await sys.deadLetters();
    expect(dl.letters).toHaveLength(1);
    expect(dl.letters[0]).toMatchObject({ to: 'ponger', type: 'ping' });
    expect(dl.letters[0]!.reason).toMatch(/^rejected: .*replyTo\.path/);
    expect(events.filter((e) => e.kind === 'deadLetter')).toHaveLength(1);
  });

  it('an ask with a malformed ref fails with Rejected', async () => {
    const sys = await start();
    const ponger = sys.spawn(Ponger, { name: 'ponger' });
    const bad = { system: 'test', path: 'p', admin: true } as ActorRef<PingerProtocol>;
    const err = await sys
      .ask(ponger, 'echo', { ref: bad }, { timeout: 2000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Rejected);
    expect((err as Rejected).issues[0]).toMatchObject({ path: ['ref'] });
  });
});
