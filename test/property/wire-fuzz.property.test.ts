import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { initIdentity, startBridge } from '../../actors/bridge/index.ts';
import { type ActorRef, type ActorSystem, defineActor } from '../../index.ts';
import {
  encodeBody,
  MsgpackWriter,
  writeEnvelopeWithBody,
} from '../../protocols/envelope/index.ts';
import { Worker } from '../support/defs.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { type SupervisedTrio, startSupervisedTrio } from '../support/remote-team.ts';

/**
 * No message can silence a node: random and mutated bytes on every subject node `na`
 * subscribes to (its actors, a sharded type, its inbox's reply and batch subjects, every
 * control verb, heartbeats, events, audit, the mesh bridge's forward and inbox subjects),
 * each followed by an ask from a separate connection that must be answered within 1 s.
 * On the old code a single bad message on `ctl.na.exit` or a heartbeat ended na's read loop.
 */
const SYS = 'fz';
let server: NatsServer;
let na: ActorSystem;
let client: ActorSystem;
let raw: NatsConnection;
let meshDir: string;

const Echo = defineActor({
  type: 'echo',
  state: () => ({ n: 0 }),
  tells: { bump: z.object({}) },
  asks: { echo: { request: z.object({ text: z.string() }), reply: z.string() } },
  handle: {
    bump: (s) => ({ n: s.n + 1 }),
    echo: (_s, m, ctx) => ctx.reply(m.text),
  },
});
type EchoP = NonNullable<(typeof Echo)['__protocol']>;
const echoRef: ActorRef<EchoP> = { system: SYS, path: 'echo' };

let trio: SupervisedTrio | undefined;
beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
  trio = await startSupervisedTrio(server, SYS, {
    intensity: 1000,
    setup: async (na) => {
      na.spawn(Echo, { name: 'echo' });
      na.spawn(Echo, { name: 'sharded', shard: true });
      na.host(Worker);
      meshDir = await mkdtemp(join(tmpdir(), 'troupe-fuzz-mesh-'));
      await initIdentity(meshDir);
      await startBridge(na, { dir: meshDir, listen: '127.0.0.1:0' });
    },
  });
  ({ na, client, raw } = trio);
}, 60_000);

afterAll(async () => {
  await trio?.stop();
  await stopAllNatsServers();
  if (meshDir) await rm(meshDir, { recursive: true, force: true });
});

/** Every subject na subscribes to (wildcards instantiated), with what normally travels there. */
const subjects = [
  `troupe.${SYS}.a.echo`,
  `troupe.${SYS}.a.sharded`,
  `troupe.${SYS}.a.team`,
  `troupe.${SYS}.a.sys.dead-letters`,
  `troupe.${SYS}.t.echo`,
  '_INBOX.na.r',
  '_INBOX.na.b1',
  '_INBOX.na.b999999',
  `troupe.${SYS}.ctl.na.spawn`,
  `troupe.${SYS}.ctl.na.stop`,
  `troupe.${SYS}.ctl.na.restart`,
  `troupe.${SYS}.ctl.na.exit`,
  `troupe.${SYS}.ctl.any.spawn.worker`,
  `troupe.${SYS}.ctl.all.tree`,
  `troupe.${SYS}.hb.nb`,
  `troupe.${SYS}.hb.na`,
  `troupe.${SYS}.evt.na.started`,
  `troupe.${SYS}.audit.na.echo`,
  `troupe.${SYS}.mesh.peer.a.echo`,
  `troupe.${SYS}.mesh.peer.t.echo`,
  `troupe.${SYS}.mesh.x`,
  '_INBOX.na-mesh.1.r',
  '_INBOX.na-mesh.1.b1',
];

/** Never the paths of the actors the check relies on. */
const path = fc
  .oneof(fc.string({ maxLength: 12 }), fc.constantFrom('team/w', 'sys/dead-letters', 'x/y', 'a.b'))
  .filter((p) => !p.startsWith('echo') && p !== 'team');

/** `encode`'s bytes; a value it refuses becomes 0xc1, the one byte MessagePack never uses. */
const encodedOrInvalid =
  <T>(encode: (v: T) => Uint8Array) =>
  (v: T): Uint8Array => {
    try {
      return encode(v);
    } catch {
      return new Uint8Array([0xc1]);
    }
  };

function envelope(e: {
  kind: number;
  to: string;
  from: string | null;
  type: string;
  corr: number | null;
  deadline: number;
  hops: number;
  body: unknown;
  count: number;
}): Uint8Array {
  const w = new MsgpackWriter(256);
  for (let i = 0; i < e.count; i++) {
    writeEnvelopeWithBody(
      w,
      {
        id: i + 1,
        kind: e.kind as 0,
        to: e.to,
        from: e.from,
        type: e.type,
        corr: e.corr,
        deadline: e.deadline,
        trace: null,
        hops: e.hops,
      },
      e.body,
    );
  }
  return w.buf.slice(0, w.pos);
}

const envelopes = fc
  .record({
    kind: fc.integer({ min: 0, max: 6 }),
    to: fc.oneof(path, fc.constantFrom('echo', '@echo', 'sharded', 'team/w')),
    from: fc.option(fc.string({ maxLength: 20 })),
    type: fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('echo', 'bump', '$watch', '$ping', '$terminated', 'record', 'recent'),
    ),
    corr: fc.option(fc.integer({ min: -5, max: 1_000_000 })),
    deadline: fc.oneof(
      fc.constant(0),
      fc.integer(),
      fc.double(),
      fc.constant(Number.MAX_SAFE_INTEGER),
    ),
    hops: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(2 ** 31)),
    body: fc.oneof(
      fc.anything(),
      fc.constant(null),
      fc.record({ text: fc.string() }),
      fc.record({ code: fc.string(), message: fc.anything() }),
    ),
    count: fc.integer({ min: 1, max: 3 }),
  })
  .map(encodedOrInvalid(envelope));

/** Control-plane and heartbeat shaped bodies with wrong or edge values. */
const controlBodies = fc
  .oneof(
    fc.record({
      path,
      reason: fc.string(),
      timeoutMs: fc.oneof(fc.constant(null), fc.integer(), fc.constant(2 ** 40)),
    }),
    fc.record({ path }),
    fc.record({
      type: fc.constantFrom('worker', 'remote-worker', 'nope'),
      path,
      supervisor: fc.record({ node: fc.string(), path }),
      settings: fc.record({
        restart: fc.constantFrom('permanent', 'transient', 'temporary', 'x'),
        shutdownMs: fc.oneof(fc.constant(null), fc.integer()),
        maxHandlerMs: fc.oneof(fc.constant(null), fc.integer(), fc.constant(2 ** 40)),
        heartbeatMs: fc.oneof(fc.constant(null), fc.integer()),
      }),
      restarts: fc.integer(),
    }),
    fc.record({
      path,
      node: fc.constantFrom('nb', 'na', 'x'),
      reason: fc.string(),
      abnormal: fc.boolean(),
      phase: fc.constantFrom('start', 'message', 'exit', 'other'),
    }),
    fc.record({
      node: fc.constantFrom('nb', 'na', 'x.y', ''),
      intervalMs: fc.oneof(fc.integer(), fc.double()),
    }),
    fc.anything(),
  )
  .map(encodedOrInvalid(encodeBody));

/** Valid-looking bytes, then cut, flipped or spliced. */
const mutated = fc
  .tuple(
    fc.oneof(envelopes, controlBodies),
    fc.array(
      fc.oneof(
        fc.record({
          op: fc.constant('flip' as const),
          at: fc.nat(),
          bit: fc.integer({ min: 0, max: 7 }),
        }),
        fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
        fc.record({
          op: fc.constant('insert' as const),
          at: fc.nat(),
          bytes: fc.uint8Array({ maxLength: 8 }),
        }),
      ),
      { maxLength: 4 },
    ),
  )
  .map(([bytes, ops]) => {
    let b = bytes;
    for (const o of ops) {
      const at = b.length === 0 ? 0 : o.at % b.length;
      if (o.op === 'flip' && b.length > 0) {
        b = b.slice();
        b[at]! ^= 1 << o.bit;
      } else if (o.op === 'cut') b = b.slice(0, at);
      else if (o.op === 'insert') {
        const ins = (o as { bytes: Uint8Array }).bytes;
        const n = new Uint8Array(b.length + ins.length);
        n.set(b.subarray(0, at), 0);
        n.set(ins, at);
        n.set(b.subarray(at), at + ins.length);
        b = n;
      }
    }
    return b;
  });

const payload = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.constant(new Uint8Array(0)),
  envelopes,
  controlBodies,
  mutated,
  mutated,
);

const publishOptions = fc.record({
  reply: fc.option(fc.constantFrom('_INBOX.fuzz.b1', '_INBOX.na.b1', '_INBOX.na.r')),
  status503: fc.boolean(),
});

describe('no message can silence a node', () => {
  it('random and mutated bytes on every subject na subscribes to; na still answers within 1 s', async () => {
    let n = 0;
    for (const subject of subjects) {
      await fc.assert(
        fc.asyncProperty(payload, publishOptions, async (data, o) => {
          raw.publish(subject, data, {
            reply: o.reply ?? undefined,
            headers: o.status503 ? headers(503, 'No Responders') : undefined,
          });
          const text = `ping-${++n}`;
          const answer = await client.ask(echoRef, 'echo', { text }, { timeout: 1000 });
          expect(answer).toBe(text);
        }),
        { numRuns: 40 },
      );
    }
    const stats = na.counters();
    expect(stats.malformedInbound).toBeGreaterThan(0);
    expect(stats.misrouted).toBeGreaterThan(0);
    // The node was never cut off: its actors still answer, sharded ones included.
    expect(
      await client.ask(
        { system: SYS, shard: 'echo' } as unknown as ActorRef<EchoP>,
        'echo',
        { text: 's' },
        { timeout: 1000 },
      ),
    ).toBe('s');
  }, 120_000);
});
