import { mkdtemp, rm } from 'node:fs/promises';
import { type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BRIDGE_CLOSE_BAD_FRAME,
  BridgeNeedsNatsError,
  encodeFrame,
  IdentityError,
  JoinFailedError,
  ListenError,
  parseEndpoint,
  RoomOperationError,
  startBridge,
  UnknownPeerError,
} from '../../actors/bridge/index.ts';
import { connectLink, type Link } from '../../actors/bridge/link/index.ts';
import { type ActorRef, ActorSystem, InvalidArgument, Rejected } from '../../index.ts';
import { fromHex, nodeBackend, x25519KeyPair } from '../../protocols/crypto/index.ts';
import { CloseCode, decodeInvite } from '../../protocols/mesh/index.ts';
import { UnexpectedStaticKeyError } from '../../protocols/noise/index.ts';
import { Recorder } from '../support/defs.ts';
import { pairSites, startSite, type TestSite } from '../support/mesh-sites.ts';
import { stopAllNatsServers } from '../support/nats-server.ts';
import { eventually } from '../support/processes.ts';
import { sleep, within } from '../support/tcp.ts';

type RecorderP = NonNullable<(typeof Recorder)['__protocol']>;
const sites: TestSite[] = [];
const systems: ActorSystem[] = [];

async function site(name: string, o: Parameters<typeof startSite>[1] = {}): Promise<TestSite> {
  const s = await startSite(name, o);
  sites.push(s);
  return s;
}

afterAll(async () => {
  await Promise.all(systems.map((s) => s.shutdown({ timeoutMs: 2000 })));
  await Promise.all(sites.map((s) => s.close()));
  await stopAllNatsServers();
});

const rogueKey = () => x25519KeyPair(nodeBackend);

/** For asks that must fail: a reply is a test failure, the error is returned. */
function unexpected(v: unknown): Error {
  throw new Error(`expected a failure, got ${JSON.stringify(v)}`);
}

async function status(s: TestSite) {
  return s.system.ask(s.bridge.ref, 'status', {}, { timeout: 2000 });
}

/** A hand-driven peer: joins `s` with an invite and speaks raw bridge frames. */
async function rogueJoin(s: TestSite, name: string): Promise<Link> {
  const { token } = await s.system.ask(s.bridge.ref, 'invite', {}, { timeout: 2000 });
  const invite = decodeInvite(token);
  const link = await connectLink(parseEndpoint(s.bridge.listen), {
    meshId: invite.meshId,
    staticKey: rogueKey(),
    invite,
  });
  const first = await link[Symbol.asyncIterator]().next();
  expect(first.done).toBe(false);
  await link.send(encodeFrame({ t: 'hello', v: 1, site: name, endpoints: [] }));
  await eventually(async () => {
    const st = await status(s);
    if (!st.peers.find((p) => p.site === name)?.connected) throw new Error('not yet');
  });
  return link;
}

describe('starting a bridge', () => {
  it('needs NATS, valid options, an identity and a free address', async () => {
    const embedded = await ActorSystem.start({ name: 'solo', logLevel: 'silent' });
    systems.push(embedded);
    await expect(startBridge(embedded)).rejects.toBeInstanceOf(BridgeNeedsNatsError);

    const a = await site('siteA');
    const other = await ActorSystem.start({
      name: 'siteA',
      node: 'second',
      logLevel: 'silent',
      transport: a.server.transport,
    });
    systems.push(other);
    await expect(startBridge(other, { listen: 'nowhere' })).rejects.toBeInstanceOf(InvalidArgument);
    await expect(startBridge(other, { listen: '127.0.0.1:70000' })).rejects.toThrow(/host:port/);
    await expect(startBridge(other, { bogus: 1 } as never)).rejects.toBeInstanceOf(InvalidArgument);
    const empty = await mkdtemp(join(tmpdir(), 'troupe-mesh-empty-'));
    await expect(startBridge(other, { dir: empty, listen: '127.0.0.1:0' })).rejects.toThrow(
      IdentityError,
    );
    await rm(empty, { recursive: true, force: true });
    await expect(
      startBridge(other, { dir: a.dir, listen: a.bridge.listen, path: 'bridge-2' }),
    ).rejects.toBeInstanceOf(ListenError);
  });
});

describe('bad input to a running bridge', () => {
  let a: TestSite;
  let b: TestSite;
  beforeAll(async () => {
    a = await site('siteA', { bridge: { handshakeTimeoutMs: 2000 } });
    b = await site('siteB', { host: '127.0.0.2' });
  });

  it('refuses bad tokens, its own tokens, unknown peers and rooms with typed errors', async () => {
    const ask = a.system;
    const ref = a.bridge.ref;
    const garbage = await ask
      .ask(ref, 'join', { token: 'mesh1.not-a-token' }, { timeout: 2000 })
      .then(unexpected, (e: Error) => e);
    expect(garbage).toBeInstanceOf(InvalidArgument);
    expect(garbage.message).toMatch(/copy/);
    const { token } = await ask.ask(ref, 'invite', {}, { timeout: 2000 });
    const own = await ask
      .ask(ref, 'join', { token }, { timeout: 2000 })
      .then(unexpected, (e: Error) => e);
    expect(own).toBeInstanceOf(InvalidArgument);
    const badTtl = await ask
      .ask(ref, 'invite', { ttlMs: -5 }, { timeout: 2000 })
      .then(unexpected, (e: Error) => e);
    expect(badTtl).toBeInstanceOf(Rejected);
    const forget = await ask
      .ask(ref, 'forget', { site: 'nobody' }, { timeout: 2000 })
      .then(unexpected, (e: Error) => e);
    expect(forget).toBeInstanceOf(UnknownPeerError);
    const room = await ask
      .ask(ref, 'roomAdd', { room: 'nope', site: 'siteB' }, { timeout: 2000 })
      .then(unexpected, (e: Error) => e);
    expect(room).toBeInstanceOf(RoomOperationError);
    const notPeer = await ask
      .ask(ref, 'roomSend', { room: 'nope', body: 1 }, { timeout: 2000 })
      .then(unexpected, (e: Error) => e);
    expect(notPeer).toBeInstanceOf(RoomOperationError);
  });

  it('an expired invite is refused by the inviter and audited there', async () => {
    const { token } = await a.system.ask(a.bridge.ref, 'invite', { ttlMs: 1 }, { timeout: 2000 });
    await sleep(10);
    const err = await b.system
      .ask(b.bridge.ref, 'join', { token }, { timeout: 10_000 })
      .then(unexpected, (e: Error) => e);
    expect(err).toBeInstanceOf(JoinFailedError);
    expect(err.message).toMatch(/rejected/);
    await eventually(async () => {
      expect(a.events('security.invite_rejected')).toEqual([
        expect.objectContaining({ reason: 'expired', error: 'InviteRejectedError' }),
      ]);
    });
    const peers = await b.system.ask(b.bridge.ref, 'peers', {}, { timeout: 2000 });
    expect(peers).toEqual([]);
  });

  it('a token whose endpoint is not the inviter fails the join without pairing', async () => {
    const { token } = await a.system.ask(a.bridge.ref, 'invite', {}, { timeout: 2000 });
    const inv = decodeInvite(token);
    // Point the invite at site B's own listener: a server with another key.
    const { encodeInvite } = await import('../../protocols/mesh/index.ts');
    const wrong = encodeInvite({ ...inv, endpoints: [b.bridge.listen] });
    const c = await site('siteC', { host: '127.0.0.3' });
    const err = await c.system
      .ask(c.bridge.ref, 'join', { token: wrong }, { timeout: 10_000 })
      .then(unexpected, (e: Error) => e);
    expect(err).toBeInstanceOf(JoinFailedError);
    expect(err.message).toMatch(/not the inviter/);
    expect((err as JoinFailedError).cause).toBeInstanceOf(UnexpectedStaticKeyError);
  });

  it('failed handshakes on the listener are audit events', async () => {
    const st = await status(a);
    const meshId = fromHex(st.meshId);
    const addr = parseEndpoint(a.bridge.listen);
    // An unknown key without an invite: the listener waits for a JOIN that never comes.
    const stranger = await connectLink(addr, {
      meshId,
      staticKey: rogueKey(),
      expectedRemote: fromHex(st.publicKey),
    });
    await stranger.send(encodeFrame({ t: 'hello', v: 1, site: 'stranger', endpoints: [] }));
    const closed = await within(stranger.closed, 5000, 'stranger link close');
    expect(closed.by).not.toBe('local');
    // A dialer that expected another key aborts before message 3.
    await expect(
      connectLink(addr, { meshId, staticKey: rogueKey(), expectedRemote: rogueKey().publicKey }),
    ).rejects.toBeInstanceOf(UnexpectedStaticKeyError);
    await eventually(async () => {
      const failed = a.events('security.handshake_failed');
      expect(failed.map((e) => e.error)).toEqual(
        expect.arrayContaining(['ProtocolViolationError', 'UnexpectedEofError']),
      );
      for (const e of failed)
        expect(e).toMatchObject({ direction: 'in', remote: expect.any(String) });
    });
  });

  it('malformed link frames close the link with a typed error and an audit event', async () => {
    const cases: { name: string; bytes: Uint8Array }[] = [
      { name: 'rogue1', bytes: new Uint8Array([0xc1, 0x00, 0xff]) },
      {
        name: 'rogue2',
        bytes: encodeFrame({ t: 'nats', s: 'x', r: null, d: new Uint8Array(1) } as never),
      },
      { name: 'rogue3', bytes: encodeFrame({ t: 'gossip' } as never) },
      { name: 'rogue4', bytes: encodeFrame({ t: 'hello', v: 1, site: 'again', endpoints: [] }) },
    ];
    for (const c of cases) {
      const link = await rogueJoin(a, c.name);
      await link.send(c.bytes);
      const reason = await within(link.closed, 5000, `${c.name} close`);
      expect(reason).toMatchObject({ by: 'remote', code: BRIDGE_CLOSE_BAD_FRAME });
    }
    await eventually(async () => {
      const bad = a.events('security.link_protocol_error');
      expect(bad.map((e) => e.site)).toEqual(['rogue1', 'rogue2', 'rogue3', 'rogue4']);
      for (const e of bad) expect(e.error).toBe('BridgeFrameError');
    });
  });

  it('a paired key must say hello first, and under its own site name', async () => {
    const key = rogueKey();
    const { token } = await a.system.ask(a.bridge.ref, 'invite', {}, { timeout: 2000 });
    const invite = decodeInvite(token);
    const addr = parseEndpoint(a.bridge.listen);
    const first = await connectLink(addr, { meshId: invite.meshId, staticKey: key, invite });
    await first.send(encodeFrame({ t: 'hello', v: 1, site: 'mallory', endpoints: [] }));
    await eventually(async () => {
      const st = await status(a);
      if (!st.peers.find((p) => p.site === 'mallory')?.connected) throw new Error('not yet');
    });
    await first.close();
    // Now a member: traffic before the hello is refused…
    const early = await connectLink(addr, {
      meshId: invite.meshId,
      staticKey: key,
      expectedRemote: invite.inviterStatic,
    });
    await early.send(encodeFrame({ t: 'ping' }));
    expect(await within(early.closed, 5000, 'early close')).toMatchObject({
      code: BRIDGE_CLOSE_BAD_FRAME,
    });
    // …and so is a hello under another site's name.
    const liar = await connectLink(addr, {
      meshId: invite.meshId,
      staticKey: key,
      expectedRemote: invite.inviterStatic,
    });
    await liar.send(encodeFrame({ t: 'hello', v: 1, site: 'siteB', endpoints: [] }));
    expect(await within(liar.closed, 5000, 'liar close')).toMatchObject({
      by: 'remote',
      code: CloseCode.revoked,
    });
    await eventually(async () => {
      expect(a.events('security.peer_rejected')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ site: 'siteB', reason: expect.stringMatching(/mallory/) }),
        ]),
      );
    });
    // Forgetting it closes nothing more (it is down) but refuses it from now on.
    await a.system.ask(a.bridge.ref, 'forget', { site: 'mallory' }, { timeout: 2000 });
    await expect(
      connectLink(addr, {
        meshId: invite.meshId,
        staticKey: key,
        expectedRemote: invite.inviterStatic,
      }).then(async (l) => {
        await l.send(encodeFrame({ t: 'hello', v: 1, site: 'mallory', endpoints: [] }));
        return l.closed;
      }),
    ).resolves.toMatchObject({ by: 'error' });
  });
});

describe('listener limits', () => {
  it('refuses handshakes beyond maxHalfOpen at once, and over the handshake rate', async () => {
    const h = await site('siteH', {
      bridge: { maxHalfOpen: 2, handshakeTimeoutMs: 4000 },
    });
    const addr = parseEndpoint(h.bridge.listen);
    const open = (): Socket => {
      const s = tcpConnect(addr);
      s.on('error', () => {});
      return s;
    };
    const idle = [open(), open()];
    await eventually(async () => expect((await status(h)).halfOpen).toBe(2));
    const third = open();
    await within(new Promise((r) => third.once('close', r)), 2000, 'refused socket close');
    expect((await status(h)).refused).toBe(1);
    for (const s of idle) s.destroy();
    await eventually(async () => expect((await status(h)).halfOpen).toBe(0));

    const r = await site('siteR', { bridge: { handshakesPerSecond: 0.01, handshakeBurst: 1 } });
    const raddr = parseEndpoint(r.bridge.listen);
    const s1 = tcpConnect(raddr);
    s1.on('error', () => {});
    await eventually(async () => expect((await status(r)).halfOpen).toBe(1));
    const s2 = tcpConnect(raddr);
    s2.on('error', () => {});
    await within(new Promise((res) => s2.once('close', res)), 2000, 'rate-limited close');
    expect((await status(r)).refused).toBe(1);
    s1.destroy();
  });
});

describe('reconnecting', () => {
  it('redials with backoff after the peer bridge restarts, and delivers what was held', async () => {
    const p = await site('siteP');
    const q = await site('siteQ', { host: '127.0.0.2' });
    await pairSites(p, q);
    const appP = await p.node('app');
    const appQ = await q.node('app');
    appP.spawn(Recorder, { name: 'rec' });
    await appP.flush();
    const rec: ActorRef<RecorderP> = { system: 'siteP', path: 'rec' };
    await eventually(() => appQ.ask(rec, 'echo', { text: 'up' }, { timeout: 1000 }));

    // The listening side restarts: the dialer loses the link and redials.
    await p.restart();
    await eventually(async () => {
      const r = await appQ.ask(rec, 'echo', { text: 'again' }, { timeout: 1000 });
      expect(r.text).toBe('again');
    }, 15_000);
    expect(q.events('mesh.peer_lost')).toEqual([expect.objectContaining({ site: 'siteP' })]);
    expect(q.events('mesh.peer_connected').length).toBeGreaterThanOrEqual(2);

    // The dialing side restarts: it dials at start.
    await q.restart();
    await eventually(async () => {
      const r = await appQ.ask(rec, 'echo', { text: 'back' }, { timeout: 1000 });
      expect(r.text).toBe('back');
    }, 15_000);

    // Tells sent while the peer's bridge is down are held, then delivered in order.
    await p.system.shutdown({ timeoutMs: 2000 });
    await eventually(async () => {
      const peers = await q.system.ask(q.bridge.ref, 'peers', {}, { timeout: 1000 });
      expect(peers[0]?.connected).toBe(false);
    });
    for (let i = 0; i < 5; i++) appQ.tell(rec, 'note', { seq: i });
    await appQ.flush();
    await eventually(async () => {
      const peers = await q.system.ask(q.bridge.ref, 'peers', {}, { timeout: 1000 });
      expect(peers[0]?.held).toBeGreaterThan(0);
    });
    await p.restart();
    await eventually(async () => {
      const seen = await appQ.ask(rec, 'seen', {}, { timeout: 1000 });
      expect(seen.map((s) => s.seq)).toEqual([0, 1, 2, 3, 4]);
    }, 15_000);
  });
});
