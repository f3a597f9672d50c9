import { type Socket, connect as tcpConnect } from 'node:net';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { dialLink, LinkListener } from '../../actors/bridge/link/index.ts';
import {
  type ActorRef,
  ActorSystem,
  type AuditEvent,
  defineActor,
  InvalidArgument,
  MemoryAuditSink,
  Rejected,
  type RuntimeEvent,
} from '../../index.ts';
import { constantTimeEqual, nodeBackend, x25519KeyPair } from '../../protocols/crypto/index.ts';
import {
  decodeBatch,
  decodeBody,
  encodeBody,
  Kind,
  MsgpackWriter,
  writeEnvelope,
  writeEnvelopeWithBody,
} from '../../protocols/envelope/index.ts';
import { fromWireError, TroupeError } from '../../runtime/errors.ts';
import { MESH_ID } from '../support/mesh-pair.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { eventually } from '../support/processes.ts';
import { type SupervisedTrio, startSupervisedTrio } from '../support/remote-team.ts';
import { serve, sleep, within } from '../support/tcp.ts';

/**
 * One test per attack of issue 8 (each failed on the code before it): malformed control and
 * heartbeat bodies, an oversized error reply, a nil error body, control-plane abuse, forged
 * replies, replies on actor subjects, dead-letter memory and counts, silent loss, a flood of
 * idle mesh sockets, timers past 2^31-1 ms and refs that would become wildcards. The
 * watchdog's idle restarts have their own test below.
 */
const SYS = 'hd';
let server: NatsServer;
let na: ActorSystem;
let client: ActorSystem;
let raw: NatsConnection;
const audit = new MemoryAuditSink();

const Counter = defineActor({
  type: 'counter',
  state: () => ({ n: 0 }),
  tells: { bump: z.object({}) },
  asks: {
    count: { request: z.object({}), reply: z.number() },
    echo: { request: z.object({ text: z.string() }), reply: z.string() },
  },
  handle: {
    bump: (s) => ({ n: s.n + 1 }),
    count: (s, _m, ctx) => ctx.reply(s.n),
    echo: (_s, m, ctx) => ctx.reply(m.text),
  },
});
type CounterP = NonNullable<(typeof Counter)['__protocol']>;
const counterRef: ActorRef<CounterP> = { system: SYS, path: 'counter' };

/** na still serves: an ask from another connection answers. */
async function alive(): Promise<void> {
  expect(await client.ask(counterRef, 'echo', { text: 'ok' }, { timeout: 2000 })).toBe('ok');
}

function batch(
  kind: number,
  to: string,
  type: string,
  body: unknown,
  extra: { corr?: number | null; hops?: number; from?: string | null } = {},
): Uint8Array {
  const w = new MsgpackWriter(256);
  writeEnvelopeWithBody(
    w,
    {
      id: 1,
      kind: kind as 0,
      to,
      from: extra.from === undefined ? 'mallory' : extra.from,
      type,
      corr: extra.corr ?? null,
      deadline: 0,
      trace: null,
      hops: extra.hops ?? 0,
    },
    body,
  );
  return w.buf.slice(0, w.pos);
}

/** Stand in for an actor nobody else serves: hand each ask to `answer` with its reply inbox. */
function impostor(path: string, answer: (inbox: string, corr: number, type: string) => void) {
  return raw.subscribe(`troupe.${SYS}.a.${path}`, {
    callback: (_e, m: Msg) => {
      const inbox = m.reply!.slice(0, m.reply!.lastIndexOf('.'));
      for (const env of decodeBatch(m.data)) answer(inbox, env.corr!, env.type);
    },
  });
}

let trio: SupervisedTrio | undefined;
beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
  trio = await startSupervisedTrio(server, SYS, {
    intensity: 10,
    audit,
    setup: (na) => {
      na.spawn(Counter, { name: 'counter' });
    },
  });
  ({ na, client, raw } = trio);
}, 60_000);

afterAll(async () => {
  await trio?.stop();
  await stopAllNatsServers();
});

describe('1. one message must not stop a node from receiving', () => {
  it('a body that is not MessagePack on ctl.<node>.exit and on heartbeats is counted, not thrown', async () => {
    const before = na.counters().malformedInbound;
    raw.publish(`troupe.${SYS}.ctl.na.exit`, new Uint8Array([0xc1, 0xff, 0x00]));
    raw.publish(`troupe.${SYS}.hb.nb`, new Uint8Array([0xc1]));
    raw.publish(`troupe.${SYS}.hb.nb`, encodeBody({ node: 'elsewhere', intervalMs: 10 }));
    await raw.flush();
    await alive();
    await eventually(async () =>
      expect(na.counters().malformedInbound).toBeGreaterThan(before + 1),
    );
    // The heartbeat from nb still counts: the remote child is not declared lost.
    await sleep(300);
    expect(await client.ask({ system: SYS, path: 'team/w' }, 'where', {}, { timeout: 1000 })).toBe(
      'nb',
    );
  });

  it('an ask whose type is near max_payload gets a short error, and the node keeps serving', async () => {
    const max = raw.info!.max_payload;
    const type = 't'.repeat(max - 400);
    const replies: { kind: number; corr: number | null; body: unknown }[] = [];
    const got = new Promise<void>((res) => {
      raw.subscribe('_INBOX.mallory.r', {
        callback: (_e, m) => {
          for (const env of decodeBatch(m.data))
            replies.push({ kind: env.kind, corr: env.corr, body: decodeBody(env.body) });
          res();
        },
      });
    });
    await raw.flush();
    raw.publish(`troupe.${SYS}.a.counter`, batch(Kind.ask, 'counter', type, {}, { corr: 77 }), {
      reply: '_INBOX.mallory.b1',
    });
    await within(got, 5000, 'error reply');
    expect(replies[0]).toMatchObject({ kind: Kind.error, corr: 77 });
    expect((replies[0]!.body as { code: string }).code).toMatch(/Rejected|PayloadTooLarge/);
    await alive();
  });

  it('an error reply with a nil body fails the ask with a typed error', async () => {
    expect(fromWireError(null)).toBeInstanceOf(TroupeError);
    expect(fromWireError('x').code).toBe('MalformedError');
    const sub = impostor('nil-error', (inbox, corr, type) => {
      raw.publish(`${inbox}.r`, batch(Kind.error, 'nil-error', type, null, { corr, from: null }));
    });
    await raw.flush();
    const err = await client
      .ask({ system: SYS, path: 'nil-error' } as ActorRef<CounterP>, 'count', {}, { timeout: 3000 })
      .catch((e: unknown) => e);
    sub.unsubscribe();
    expect(err).toBeInstanceOf(TroupeError);
    expect((err as TroupeError).code).toBe('MalformedError');
    expect(
      await client.ask(
        { system: SYS, path: 'counter' } as ActorRef<CounterP>,
        'echo',
        { text: 'c' },
        { timeout: 2000 },
      ),
    ).toBe('c');
  });
});

describe('4. the control plane, forged replies and misrouted envelopes', () => {
  const ctl = async (verb: string, body: unknown) =>
    decodeBody(
      (await raw.request(`troupe.${SYS}.ctl.na.${verb}`, encodeBody(body), { timeout: 5000 })).data,
    ) as {
      ok: boolean;
      code?: string;
    };

  it('system actors cannot be stopped or restarted from outside; every action is audited with who asked', async () => {
    const stop = await ctl('stop', {
      path: 'sys/dead-letters',
      reason: 'x',
      timeoutMs: null,
      by: 'mallory',
    });
    expect(stop).toMatchObject({ ok: false, code: 'InvalidArgument' });
    const restart = await ctl('restart', { path: 'sys/dead-letters', by: 'mallory' });
    expect(restart).toMatchObject({ ok: false, code: 'InvalidArgument' });
    const spawn = await ctl('spawn', {
      type: 'remote-worker',
      path: 'sys/evil',
      supervisor: { node: 'x', path: 'x' },
      settings: { restart: 'temporary', shutdownMs: null, maxHandlerMs: null, heartbeatMs: null },
      restarts: 0,
      by: 'mallory',
    });
    expect(spawn).toMatchObject({ ok: false, code: 'InvalidArgument' });
    expect(na.lookup('sys/dead-letters')).toBeDefined();
    expect((await na.deadLetters(1)).letters.length).toBeLessThanOrEqual(1);
    const refused = audit.events.filter(
      (e: AuditEvent) => e.kind === 'control.refused' && e.node === 'na',
    );
    expect(refused.map((e) => e.data)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ verb: 'stop', path: 'sys/dead-letters', by: 'mallory' }),
        expect.objectContaining({ verb: 'restart', by: 'mallory' }),
        expect.objectContaining({ verb: 'spawn', path: 'sys/evil' }),
      ]),
    );
    // A permitted action is carried out and recorded too.
    na.spawn(Counter, { name: 'victim' });
    const ok = await ctl('stop', {
      path: 'victim',
      reason: 'ops said so',
      timeoutMs: 1000,
      by: 'ops',
    });
    expect(ok).toMatchObject({ ok: true });
    expect(audit.events).toContainEqual(
      expect.objectContaining({
        kind: 'control.stop',
        node: 'na',
        data: expect.objectContaining({ path: 'victim', by: 'ops' }),
      }),
    );
    // A supervisor's own requests carry its node (user@node when NATS auth names a user).
    expect(audit.events).toContainEqual(
      expect.objectContaining({
        kind: 'control.spawn',
        node: 'nb',
        data: expect.objectContaining({ path: 'team/w', by: 'troupe@na' }),
      }),
    );
  });

  it('a forged reply of the wrong type fails an ask that names its reply schema', async () => {
    const sub = impostor('num', (inbox, corr, type) => {
      raw.publish(`${inbox}.r`, batch(Kind.reply, 'num', type, 'PWNED', { corr, from: null }));
    });
    await raw.flush();
    const ref = { system: SYS, path: 'num' } as ActorRef<CounterP>;
    const err = await client
      .ask(ref, 'count', {}, { timeout: 3000, reply: Counter.asks.count.reply })
      .catch((e: unknown) => e);
    sub.unsubscribe();
    expect(err).toBeInstanceOf(Rejected);
    expect(client.counters().rejectedReplies).toBeGreaterThan(0);
  });

  it('a reply or error envelope sent to an actor subject is a dead letter, not a tell', async () => {
    const before = await client.ask(counterRef, 'count', {}, { timeout: 2000 });
    const misrouted = na.counters().misrouted;
    raw.publish(`troupe.${SYS}.a.counter`, batch(Kind.reply, 'counter', 'bump', {}, { corr: 1 }));
    raw.publish(`troupe.${SYS}.a.counter`, batch(Kind.error, 'counter', 'bump', {}, { corr: 1 }));
    // A target other than the subject's would reach an actor the sender could not address.
    raw.publish(`troupe.${SYS}.a.counter`, batch(Kind.tell, 'team', 'bump', {}));
    await raw.flush();
    await eventually(async () => {
      const dl = await na.deadLetters();
      expect(
        dl.letters.filter((l) => l.reason === 'misrouted envelope').length,
      ).toBeGreaterThanOrEqual(3);
    });
    expect(na.counters().misrouted).toBe(misrouted + 3);
    expect(await client.ask(counterRef, 'count', {}, { timeout: 2000 })).toBe(before);
  });
});

describe('5 and 6. dead letters are bounded and exact; no loss is silent', () => {
  it('keeps a truncated body and counts a burst exactly', async () => {
    const sys = await ActorSystem.start({
      name: 'dl',
      logLevel: 'silent',
      deadLetterBodyBytes: 256,
    });
    try {
      sys.tell({ system: 'dl', path: 'ghost' }, 'big', { data: 'x'.repeat(200_000) });
      const first = await sys.deadLetters(1);
      expect(first.letters[0]).toMatchObject({ to: 'ghost', type: 'big', truncated: true });
      expect(first.letters[0]!.size).toBeGreaterThan(200_000);
      expect((first.letters[0]!.body as Uint8Array).length).toBe(256);
      const burst = 30_000;
      for (let i = 0; i < burst; i++) sys.tell({ system: 'dl', path: 'ghost' }, 'small', { i });
      const dl = await sys.deadLetters();
      expect(dl.count).toBe(burst + 1);
      expect(dl.letters.length).toBeLessThanOrEqual(1000);
      expect(sys.counters().deadLetters).toBe(burst + 1);
      expect(sys.counters().deadLettersUnrecorded).toBeGreaterThan(0);
    } finally {
      await sys.shutdown({ timeoutMs: 2000 });
    }
  });

  it('tells over the hop limit and undecodable tells are dead-lettered and counted', async () => {
    const events: RuntimeEvent[] = [];
    const off = na.on((e) => events.push(e));
    const c0 = na.counters();
    raw.publish(`troupe.${SYS}.a.counter`, batch(Kind.tell, 'counter', 'bump', {}, { hops: 40 }));
    const w = new MsgpackWriter(64);
    writeEnvelope(w, {
      id: 9,
      kind: Kind.tell,
      to: 'counter',
      from: 'mallory',
      type: 'bump',
      corr: null,
      deadline: 0,
      trace: null,
      hops: 0,
      body: new Uint8Array([0xc1]),
    });
    raw.publish(`troupe.${SYS}.a.counter`, w.buf.slice(0, w.pos));
    await raw.flush();
    await eventually(async () => {
      const c = na.counters();
      expect(c.hopLimitDrops).toBe(c0.hopLimitDrops + 1);
      expect(c.undecodable).toBe(c0.undecodable + 1);
    });
    off();
    const reasons = events
      .filter((e) => e.kind === 'deadLetter')
      .map((e) => (e as { reason: string }).reason);
    expect(reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/hops/), expect.stringMatching(/undecodable/)]),
    );
  });
});

describe('7. a flood of idle sockets cannot keep a paired site out', () => {
  it('limits handshakes per source address and keeps room for roster peers', async () => {
    const A = x25519KeyPair(nodeBackend);
    const B = x25519KeyPair(nodeBackend);
    const listener = new LinkListener({
      meshId: MESH_ID,
      staticKey: B,
      isMember: (k) => constantTimeEqual(k, A.publicKey),
      handshakeTimeoutMs: 20_000,
      isRosterSource: (addr) => addr === '127.0.0.1',
    });
    const server = await serve((s) => listener.accept(s).catch((e: Error) => e));
    const flood: Socket[] = [];
    try {
      // 64 idle sockets from eight other loopback addresses: the general slots fill up.
      for (let a = 2; a <= 9; a++) {
        for (let i = 0; i < 8; i++) {
          const s = tcpConnect({
            host: '127.0.0.1',
            port: server.port,
            localAddress: `127.0.0.${a}`,
          });
          s.on('error', () => {});
          flood.push(s);
        }
      }
      await eventually(async () => expect(listener.halfOpen + listener.refused).toBe(64));
      expect(listener.halfOpen).toBe(56); // 64 less the 8 kept for roster peers
      // One more from a source already at its limit is refused at once.
      const extra = tcpConnect({ host: '127.0.0.1', port: server.port, localAddress: '127.0.0.2' });
      extra.on('error', () => {});
      flood.push(extra);
      await within(new Promise((r) => extra.once('close', r)), 5000, 'refused socket');
      // The paired peer still gets in, while every idle socket is held open.
      const link = await within(
        dialLink(tcpConnect({ host: '127.0.0.1', port: server.port }), {
          meshId: MESH_ID,
          staticKey: A,
          expectedRemote: B.publicKey,
        }),
        10_000,
        'peer dial',
      );
      expect(link.isOpen).toBe(true);
      await link.close();
    } finally {
      for (const s of flood) s.destroy();
      await server.close();
    }
  }, 30_000);
});

describe('8. timers and refs', () => {
  it('refuses timeouts above 2^31-1 ms with InvalidArgument', async () => {
    await expect(client.ask(counterRef, 'count', {}, { timeout: 2 ** 31 })).rejects.toBeInstanceOf(
      InvalidArgument,
    );
    await expect(
      client.ask(counterRef, 'count', {}, { deadline: Date.now() + 2 ** 31 + 1000 }),
    ).rejects.toBeInstanceOf(InvalidArgument);
    expect(await client.ask(counterRef, 'count', {}, { timeout: 2 ** 31 - 1 })).toBeTypeOf(
      'number',
    );
    await expect(client.exists(counterRef, 2 ** 31)).rejects.toBeInstanceOf(InvalidArgument);
    await expect(client.shutdown({ timeoutMs: 2 ** 40 })).rejects.toBeInstanceOf(InvalidArgument);
    expect(await client.exists(counterRef)).toBe(true);
  });

  it('refuses refs that would become wildcards or extra subject tokens, wherever they enter', async () => {
    for (const path of ['*', '>', 'a.b', 'a/*', 'a//b', '', ' a', 'a b', 'team/>']) {
      const ref = { system: SYS, path } as ActorRef<CounterP>;
      expect(() => client.tell(ref, 'bump', {}), path).toThrow(InvalidArgument);
      await expect(client.ask(ref, 'count', {}, { timeout: 1000 }), path).rejects.toBeInstanceOf(
        InvalidArgument,
      );
    }
    for (const shard of ['*', 'a.b', '>']) {
      const ref = { system: SYS, shard } as unknown as ActorRef<CounterP>;
      expect(() => client.tell(ref, 'bump', {}), shard).toThrow(InvalidArgument);
    }
    await alive();
  });
});
