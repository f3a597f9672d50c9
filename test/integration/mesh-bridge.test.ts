import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RoomOperationError, UnknownPeerError } from '../../actors/bridge/index.ts';
import {
  type ActorRef,
  type ActorSystem,
  defineActor,
  NoSuchActor,
  type ShardRef,
  Timeout,
} from '../../index.ts';
import { pairSites, startSite, type TestSite } from '../support/mesh-sites.ts';
import { freePort, stopAllNatsServers } from '../support/nats-server.ts';
import { eventually } from '../support/processes.ts';
import { recordingRelay } from '../support/tcp-relay.ts';

/** A body marker that must never appear in the bytes between the bridges. */
const MARKER = 'PLAINTEXT-MARKER-7f3a9c';

const Coder = defineActor({
  type: 'coder',
  state: () => ({ notes: [] as string[] }),
  tells: { note: z.object({ text: z.string() }) },
  asks: {
    work: {
      request: z.object({ text: z.string() }),
      reply: z.object({
        text: z.string(),
        node: z.string(),
        sender: z.object({ system: z.string(), path: z.string() }).nullable(),
        trace: z.string().nullable(),
        deadline: z.number(),
      }),
    },
    slow: { request: z.object({ ms: z.number() }), reply: z.string() },
  },
  handle: {
    note(s, m, ctx) {
      s.notes.push(m.text);
      // Answer through ctx.sender: a ref in the sender's system, reached through B's bridge.
      if (ctx.sender) ctx.tell(ctx.sender as ActorRef<PlannerP>, 'ack', { text: m.text.length });
    },
    work: (_s, m, ctx) =>
      ctx.reply({
        text: m.text.toUpperCase(),
        node: ctx.node,
        sender: ctx.sender,
        trace: ctx.traceparent,
        deadline: ctx.deadline,
      }),
    async slow(_s, m, ctx) {
      await new Promise((r) => setTimeout(r, m.ms));
      ctx.reply('done');
    },
  },
});
type CoderP = NonNullable<(typeof Coder)['__protocol']>;

/** Site A's actor: asks site B's coder, tells it notes, collects the acks B sends back. */
const Planner = defineActor({
  type: 'planner',
  state: () => ({ acks: [] as number[] }),
  tells: { ack: z.object({ text: z.number() }), send: z.object({ text: z.string() }) },
  asks: {
    delegate: {
      request: z.object({ text: z.string() }),
      reply: z.object({ text: z.string(), sender: z.string() }),
    },
    acks: { request: z.object({}), reply: z.array(z.number()) },
  },
  handle: {
    ack(s, m) {
      s.acks.push(m.text);
    },
    send(_s, m, ctx) {
      ctx.tell(CODER, 'note', { text: m.text });
    },
    async delegate(_s, m, ctx) {
      const r = await ctx.ask(CODER, 'work', { text: m.text }, { timeout: 5000 });
      ctx.reply({ text: r.text, sender: `${r.sender?.system}:${r.sender?.path}` });
    },
    acks: (s, _m, ctx) => ctx.reply(s.acks),
  },
});
type PlannerP = NonNullable<(typeof Planner)['__protocol']>;

const CODER: ActorRef<CoderP> = { system: 'siteB', path: 'coder' };
const PLANNER: ActorRef<PlannerP> = { system: 'siteA', path: 'planner' };

async function connected(site: TestSite, peer: string): Promise<void> {
  await eventually(async () => {
    const peers = await site.system.ask(site.bridge.ref, 'peers', {}, { timeout: 2000 });
    if (!peers.find((p) => p.site === peer)?.connected) throw new Error(`${peer} not connected`);
  }, 15_000);
}

describe('two sites, each with its own nats-server, bridged over loopback', () => {
  let a: TestSite;
  let b: TestSite;
  let appA: ActorSystem;
  let appB: ActorSystem;
  let relay: Awaited<ReturnType<typeof recordingRelay>>;

  beforeAll(async () => {
    // A listens on 127.0.0.1; B on 127.0.0.2; B reaches A through a recording relay on
    // 127.0.0.3, which A advertises in its invite.
    const portA = await freePort();
    relay = await recordingRelay('127.0.0.3', { host: '127.0.0.1', port: portA });
    a = await startSite('siteA', {
      host: '127.0.0.1',
      port: portA,
      bridge: { advertise: [relay.endpoint] },
    });
    b = await startSite('siteB', { host: '127.0.0.2' });
    await pairSites(a, b);
    await connected(a, 'siteB');
    await connected(b, 'siteA');
    appA = await a.node('app');
    appB = await b.node('app');
    appA.spawn(Planner, { name: 'planner' });
    appB.spawn(Coder, { name: 'coder' });
    await appA.flush();
    await appB.flush();
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await relay?.close();
    await stopAllNatsServers();
  });

  it('pairs through an invite: both rosters pin the other key, both audit the join', async () => {
    const peersA = await a.system.ask(a.bridge.ref, 'peers', {}, { timeout: 2000 });
    const peersB = await b.system.ask(b.bridge.ref, 'peers', {}, { timeout: 2000 });
    expect(peersA).toEqual([
      expect.objectContaining({ site: 'siteB', dial: false, connected: true }),
    ]);
    expect(peersB).toEqual([
      expect.objectContaining({
        site: 'siteA',
        dial: true,
        connected: true,
        fingerprint: a.bridge.fingerprint,
      }),
    ]);
    expect(peersB[0]!.endpoints[0]).toBe(relay.endpoint);
    expect(a.events('mesh.join')).toEqual([
      expect.objectContaining({
        site: 'siteB',
        role: 'inviter',
        fingerprint: b.bridge.fingerprint,
      }),
    ]);
    expect(b.events('mesh.join')).toEqual([
      expect.objectContaining({ site: 'siteA', role: 'joiner', fingerprint: a.bridge.fingerprint }),
    ]);
    expect(b.events('mesh.adopted')).toHaveLength(1);
    expect(a.events('mesh.peer_connected')).toEqual([
      expect.objectContaining({ site: 'siteB', direction: 'in' }),
    ]);
    expect(b.events('mesh.peer_connected')).toEqual([
      expect.objectContaining({ site: 'siteA', direction: 'out' }),
    ]);
  });

  it('an actor on site A asks an actor on site B and gets its reply', async () => {
    const r = await appA.ask(PLANNER, 'delegate', { text: MARKER }, { timeout: 5000 });
    // B saw the asking actor as siteA:planner, so it could answer it directly.
    expect(r).toEqual({ text: MARKER.toUpperCase(), sender: 'siteA:planner' });
    const direct = await appA.ask(CODER, 'work', { text: 'direct' }, { timeout: 5000 });
    expect(direct).toMatchObject({ text: 'DIRECT', node: 'siteB-app', sender: null });
  });

  it('B answers a tell from A through ctx.sender, back through both bridges', async () => {
    appA.tell(PLANNER, 'send', { text: 'hello' });
    appA.tell(PLANNER, 'send', { text: 'hi' });
    await eventually(async () => {
      expect(await appA.ask(PLANNER, 'acks', {}, { timeout: 2000 })).toEqual([5, 2]);
    });
  });

  it('keeps the absolute deadline and the trace id across sites', async () => {
    const ref = CODER;
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const deadline = Date.now() + 4000;
    const r = await appA.ask(ref, 'work', { text: 'x' }, { deadline, traceparent: tp });
    expect(r.deadline).toBe(deadline);
    expect(r.trace).toBe(tp);
  });

  it('a missing remote actor, type or site fails fast with NoSuchActor', async () => {
    /** Asks `ref` from A, expects a NoSuchActor and returns its message. */
    const noSuchActor = async (ref: ActorRef | ShardRef, type = 'x') => {
      const e = await appA.ask(ref, type, {}, { timeout: 10_000 }).catch((x: Error) => x);
      expect(e).toBeInstanceOf(NoSuchActor);
      return (e as Error).message;
    };
    let t0 = Date.now();
    expect(await noSuchActor({ system: 'siteB', path: 'ghost' })).toContain('siteB:ghost');
    expect(Date.now() - t0).toBeLessThan(3000);
    t0 = Date.now();
    await noSuchActor({ system: 'siteB', shard: 'nobody' });
    expect(await noSuchActor({ system: 'siteZ', path: 'anyone' })).toContain('not a peer');
    expect(Date.now() - t0).toBeLessThan(3000);
    // Another site cannot drive this site's bridge (invites, unpairing) or its runtime actors.
    for (const path of ['mesh-bridge', 'sys/dead-letters']) {
      expect(await noSuchActor({ system: 'siteB', path }, 'invite')).toMatch(
        /not reachable from other sites/,
      );
    }
    // exists() is a system request: it crosses the bridge too.
    expect(await appA.exists(CODER)).toBe(true);
    expect(await appA.exists({ system: 'siteB', path: 'ghost' })).toBe(false);
  });

  it('a deadline that expires across sites gives Timeout near the deadline', async () => {
    const t0 = Date.now();
    const err = await appA.ask(CODER, 'slow', { ms: 3000 }, { timeout: 400 }).catch((e) => e);
    const took = Date.now() - t0;
    expect(err).toBeInstanceOf(Timeout);
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(2000);
  });

  it('sharded types on the other site are reached through the bridge', async () => {
    appB.spawn(Coder, { name: 'coder-shard', shard: true });
    await appB.flush();
    const r = await appA.ask(
      { system: 'siteB', shard: 'coder' } as ShardRef<CoderP>,
      'work',
      { text: 'any' },
      { timeout: 5000 },
    );
    expect(r.text).toBe('ANY');
  });

  it('rooms: keys over the links, sealed messages, removal, all audited', async () => {
    const ncA = await connect({ servers: a.server.url, user: a.server.user, pass: a.server.pass });
    const ncB = await connect({ servers: b.server.url, user: b.server.user, pass: b.server.pass });
    const seenA: unknown[] = [];
    const seenB: unknown[] = [];
    ncA.subscribe('troupe.siteA.room.opsroom', {
      callback: (_e, m) => {
        seenA.push(JSON.parse(m.string()));
      },
    });
    ncB.subscribe('troupe.siteB.room.opsroom', {
      callback: (_e, m) => {
        seenB.push(JSON.parse(m.string()));
      },
    });
    await ncA.flush();
    await ncB.flush();
    const ask = <R>(
      site: TestSite,
      f: (s: ActorSystem, r: TestSite['bridge']['ref']) => Promise<R>,
    ) => f(site.system, site.bridge.ref);
    const created = await ask(a, (s, r) =>
      s.ask(r, 'roomCreate', { room: 'opsroom' }, { timeout: 2000 }),
    );
    expect(created).toMatchObject({ room: 'opsroom', isAdmin: true, epoch: 1, members: ['siteA'] });
    const added = await ask(a, (s, r) =>
      s.ask(r, 'roomAdd', { room: 'opsroom', site: 'siteB' }, { timeout: 2000 }),
    );
    expect(added).toMatchObject({ epoch: 2, members: ['siteA', 'siteB'] });
    await eventually(async () => {
      const rooms = await b.system.ask(b.bridge.ref, 'rooms', {}, { timeout: 2000 });
      expect(rooms).toEqual([
        expect.objectContaining({ room: 'opsroom', admin: 'siteA', isAdmin: false, epoch: 2 }),
      ]);
    });
    await b.system.ask(
      b.bridge.ref,
      'roomSend',
      { room: 'opsroom', body: { from: 'B', n: 1 } },
      { timeout: 2000 },
    );
    await a.system.ask(
      a.bridge.ref,
      'roomSend',
      { room: 'opsroom', body: MARKER },
      { timeout: 2000 },
    );
    // Each site sees both messages (its own included); arrival order differs per site.
    const fromB = expect.objectContaining({
      room: 'opsroom',
      from: 'siteB',
      epoch: 2,
      body: { from: 'B', n: 1 },
    });
    const fromA = expect.objectContaining({ from: 'siteA', epoch: 2, body: MARKER });
    await eventually(async () => {
      expect(seenA).toHaveLength(2);
      expect(seenA).toEqual(expect.arrayContaining([fromA, fromB]));
      expect(seenB).toHaveLength(2);
      expect(seenB).toEqual(expect.arrayContaining([fromA, fromB]));
    });
    // Only the admin changes members; unknown sites are refused.
    const notAdmin = await b.system
      .ask(b.bridge.ref, 'roomAdd', { room: 'opsroom', site: 'siteA' }, { timeout: 2000 })
      .catch((e: Error) => e);
    expect(notAdmin).toBeInstanceOf(RoomOperationError);
    const unknown = await a.system
      .ask(a.bridge.ref, 'roomAdd', { room: 'opsroom', site: 'siteQ' }, { timeout: 2000 })
      .catch((e: Error) => e);
    expect(unknown).toBeInstanceOf(UnknownPeerError);
    await a.system.ask(
      a.bridge.ref,
      'roomRemove',
      { room: 'opsroom', site: 'siteB' },
      { timeout: 2000 },
    );
    await eventually(async () => {
      expect(await b.system.ask(b.bridge.ref, 'rooms', {}, { timeout: 2000 })).toEqual([]);
    });
    const gone = await b.system
      .ask(b.bridge.ref, 'roomSend', { room: 'opsroom', body: 'still here?' }, { timeout: 2000 })
      .catch((e: Error) => e);
    expect(gone).toBeInstanceOf(RoomOperationError);
    expect(a.events('room.created')).toEqual([
      expect.objectContaining({ room: 'opsroom', epoch: 1 }),
    ]);
    expect(a.events('room.member_added')).toEqual([
      expect.objectContaining({ room: 'opsroom', site: 'siteB', epoch: 2 }),
    ]);
    expect(a.events('room.member_removed')).toEqual([
      expect.objectContaining({ room: 'opsroom', site: 'siteB', epoch: 3 }),
    ]);
    expect(a.events('room.key_rotated').map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(b.events('room.member_added')).toEqual([
      expect.objectContaining({ room: 'opsroom', site: 'siteB', admin: 'siteA' }),
    ]);
    expect(b.events('room.key_rotated')).toEqual([expect.objectContaining({ epoch: 2 })]);
    expect(b.events('room.member_removed')).toEqual([
      expect.objectContaining({ room: 'opsroom', site: 'siteB' }),
    ]);
    await ncA.close();
    await ncB.close();
  });

  it('the bytes between the bridges show no plaintext body, path or site name', async () => {
    // Traffic of the tests above went through the relay, in both directions.
    const { toTarget, fromTarget } = relay.captured();
    expect(toTarget.length).toBeGreaterThan(1000);
    expect(fromTarget.length).toBeGreaterThan(1000);
    for (const bytes of [toTarget, fromTarget]) {
      for (const needle of [MARKER, MARKER.toUpperCase(), 'planner', 'siteA', 'siteB', 'opsroom']) {
        expect(bytes.includes(Buffer.from(needle)), needle).toBe(false);
      }
    }
  });
});
