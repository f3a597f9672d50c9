import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as msgpack } from '@msgpack/msgpack';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  adoptMesh,
  BridgeFrameError,
  backoffDelay,
  decodeFrame,
  encodeFrame,
  fingerprint,
  IdentityError,
  initIdentity,
  loadIdentity,
  MAX_HOPS,
  meshDir,
  parseBridgeOptions,
  parseEndpoint,
  Roster,
  RosterError,
  UnknownPeerError,
  walkBatch,
} from '../../actors/bridge/index.ts';
import { ReplyRoutes } from '../../actors/bridge/reply-routes.ts';
import { parseDuration } from '../../deploy/commands/mesh-client.ts';
import { nodeBackend, toHex, x25519KeyPair } from '../../protocols/crypto/index.ts';
import {
  decodeBatch,
  decodeBody,
  type Envelope,
  encodeBody,
  encodeEnvelope,
  Kind,
} from '../../protocols/envelope/index.ts';
import { InvalidArgument } from '../../runtime/index.ts';

function env(over: Partial<Envelope> = {}): Envelope {
  return {
    id: 1,
    kind: Kind.tell,
    to: 'team/coder',
    from: 'siteA:planner',
    type: 'work',
    corr: null,
    deadline: 0,
    trace: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    hops: 0,
    body: encodeBody({ text: 'hi' }),
    ...over,
  };
}

function batch(...es: Envelope[]): Uint8Array {
  const parts = es.map(encodeEnvelope);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('envelope batches entering a site', () => {
  const now = 1_000_000;

  it('raises every hop count in place and lists the requests', () => {
    const input = batch(
      env({ hops: 0 }),
      env({ kind: Kind.ask, corr: 7, hops: 3, deadline: now + 500 }),
      env({ kind: Kind.system, type: '$ping', corr: 8 }),
    );
    const w = walkBatch(input, { now, collectRequests: true });
    expect(w.data).toBe(input);
    expect(w.count).toBe(3);
    expect(decodeBatch(w.data!).map((e) => e.hops)).toEqual([1, 4, 1]);
    expect(w.requests).toEqual([
      { corr: 7, to: 'team/coder', type: 'work' },
      { corr: 8, to: 'team/coder', type: '$ping' },
    ]);
    // Everything else is untouched.
    const out = decodeBatch(w.data!)[1]!;
    expect(out).toMatchObject({ deadline: now + 500, corr: 7, from: 'siteA:planner' });
    expect(decodeBody(out.body)).toEqual({ text: 'hi' });
  });

  it('drops expired envelopes and those past the hop limit, keeping the rest in order', () => {
    const w = walkBatch(
      batch(
        env({ id: 1 }),
        env({ id: 2, deadline: now - 1 }),
        env({ id: 3, kind: Kind.ask, corr: 9, hops: MAX_HOPS }),
        env({ id: 4, hops: 200 }),
        env({ id: 5, hops: 130 }),
      ),
      { now, collectRequests: true },
    );
    expect(w.expired).toBe(1);
    expect(w.overHops).toEqual([{ corr: 9, to: 'team/coder', type: 'work' }]);
    expect(w.requests).toEqual([]);
    expect(decodeBatch(w.data!).map((e) => [e.id, e.hops])).toEqual([[1, 1]]);
    const none = walkBatch(batch(env({ deadline: now })), { now, collectRequests: false });
    expect(none.data).toBeNull();
  });

  it('re-encodes a hop count that is not a one-byte integer', () => {
    // A valid but unusual encoding: 5 as uint8 (0xcc 0x05).
    const e = encodeEnvelope(env({ hops: 5 }));
    const hopsAt = e.length - encodeBody({ text: 'hi' }).length - 2 - 1;
    expect(e[hopsAt]).toBe(5);
    const odd = new Uint8Array(e.length + 1);
    odd.set(e.subarray(0, hopsAt));
    odd[hopsAt] = 0xcc;
    odd[hopsAt + 1] = 5;
    odd.set(e.subarray(hopsAt + 1), hopsAt + 2);
    const w = walkBatch(odd, { now, collectRequests: false });
    expect(decodeBatch(w.data!)[0]!.hops).toBe(6);
  });

  it('throws on malformed batches', () => {
    const good = batch(env());
    for (const bad of [
      good.subarray(0, good.length - 1),
      new Uint8Array([0x91, 0x01]),
      new Uint8Array([0xc1]),
    ]) {
      expect(() => walkBatch(bad.slice(), { now, collectRequests: false })).toThrow();
    }
    expect(walkBatch(new Uint8Array(0), { now, collectRequests: false }).data).toBeNull();
  });
});

describe('link frames', () => {
  it('round-trip every frame type', () => {
    const frames = [
      { t: 'hello', v: 1, site: 'siteA', endpoints: ['127.0.0.1:7422', '[::1]:7422'] },
      { t: 'nats', s: 'a.team.coder', r: 12, d: new Uint8Array([1, 2]) },
      { t: 'nats', s: 't.worker', r: null, d: new Uint8Array([3]) },
      { t: 'reply', r: 0, d: new Uint8Array([4]) },
      { t: 'room-key', room: 'ops', u: new Uint8Array([5]) },
      { t: 'room-left', room: 'ops' },
      { t: 'room-msg', room: 'ops', m: new Uint8Array([6]) },
      { t: 'ping' },
    ] as const;
    for (const f of frames) {
      expect(decodeFrame(encodeFrame(f as never))).toEqual(f);
      // The hand-written traffic encoding is the general encoder's, byte for byte.
      expect(encodeFrame(f as never)).toEqual(msgpack(f));
      expect(decodeFrame(msgpack(f))).toEqual(f);
    }
  });

  it('refuses anything else with BridgeFrameError', () => {
    const bad: unknown[] = [
      { t: 'hello', v: 2, site: 'siteA', endpoints: [] },
      { t: 'hello', v: 1, site: 'a.b', endpoints: [] },
      { t: 'hello', v: 1, site: 'siteA', endpoints: ['no-port'] },
      { t: 'nats', s: 'troupe.x', r: null, d: new Uint8Array([1]) },
      { t: 'nats', s: 'a.team.coder', r: -1, d: new Uint8Array([1]) },
      { t: 'nats', s: 'a.team.coder', r: null, d: new Uint8Array(0) },
      { t: 'nats', s: 'a.team.coder', r: null, d: 'text' },
      { t: 'reply', r: 1 },
      { t: 'room-key', room: 'bad room', u: new Uint8Array([1]) },
      { t: 'shout' },
      [1, 2, 3],
      'hello',
    ];
    for (const f of bad) expect(() => decodeFrame(msgpack(f))).toThrow(BridgeFrameError);
    expect(() => decodeFrame(new Uint8Array([0xc1]))).toThrow(BridgeFrameError);
    expect(() => decodeFrame(new Uint8Array(0))).toThrow(BridgeFrameError);
  });
});

describe('reply routes', () => {
  it('give one id per asker inbox and per peer asker, and map each id back', () => {
    const routes = new ReplyRoutes();
    const a = routes.askerRoute('siteB', '_INBOX.n1.7');
    expect(routes.askerRoute('siteB', '_INBOX.n1.8')).toBe(a);
    expect(routes.askerInbox(a)).toEqual({ site: 'siteB', inbox: '_INBOX.n1' });
    const c = routes.askerRoute('siteC', '_INBOX.n1.9');
    const p = routes.peerRoute('siteB', a);
    expect(routes.peerRoute('siteB', a)).toBe(p);
    expect(new Set([a, c, p]).size).toBe(3);
    expect(routes.peerRouteOf(p)).toEqual({ site: 'siteB', id: a });
    expect(routes.peerRouteOf(a)).toBeUndefined();
    expect(routes.askerInbox(p)).toBeUndefined();
  });
});

describe('redial backoff', () => {
  it('grows exponentially with jitter between half and all of the cap', () => {
    const o = { initialMs: 100, maxMs: 5000 };
    expect(backoffDelay(0, o, () => 0)).toBe(50);
    expect(backoffDelay(0, o, () => 1)).toBe(100);
    expect(backoffDelay(3, o, () => 0.5)).toBe(600);
    expect(backoffDelay(20, o, () => 1)).toBe(5000);
    expect(backoffDelay(1000, o, () => 0)).toBe(2500);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(4, o);
      expect(d).toBeGreaterThanOrEqual(800);
      expect(d).toBeLessThanOrEqual(1600);
    }
  });
});

describe('site identity and roster', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'troupe-site-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 0600 identity, loads it back, and refuses to overwrite it', async () => {
    const site = join(dir, 'mesh');
    const id = await initIdentity(site);
    expect((await stat(join(site, 'identity.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(site)).mode & 0o777).toBe(0o700);
    const again = await loadIdentity(site);
    expect(toHex(again.keyPair.publicKey)).toBe(toHex(id.keyPair.publicKey));
    expect(toHex(again.meshId)).toBe(toHex(id.meshId));
    await expect(initIdentity(site)).rejects.toThrow(/--force/);
    const forced = await initIdentity(site, { force: true });
    expect(toHex(forced.keyPair.publicKey)).not.toBe(toHex(id.keyPair.publicKey));
    const moved = await adoptMesh(forced, new Uint8Array(16).fill(9));
    expect(toHex((await loadIdentity(site)).meshId)).toBe(toHex(moved.meshId));
    expect(fingerprint(id.keyPair.publicKey)).toMatch(/^([0-9a-f]{4}:){7}[0-9a-f]{4}$/);
  });

  it('refuses a missing, too-open, malformed or mismatched identity with IdentityError', async () => {
    await expect(loadIdentity(dir)).rejects.toThrow(/mesh init/);
    const site = join(dir, 'm');
    await initIdentity(site);
    const file = join(site, 'identity.json');
    await chmod(file, 0o644);
    await expect(loadIdentity(site)).rejects.toThrow(/chmod 600/);
    await chmod(file, 0o600);
    const good = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, '{not json', { mode: 0o600 });
    await expect(loadIdentity(site)).rejects.toBeInstanceOf(IdentityError);
    await writeFile(file, JSON.stringify({ ...good, publicKey: '00'.repeat(32) }), { mode: 0o600 });
    await expect(loadIdentity(site)).rejects.toThrow(/does not match/);
    expect(() => meshDir('')).toThrow(InvalidArgument);
    expect(meshDir(undefined, { TROUPE_MESH_DIR: '/x/y' })).toBe('/x/y');
  });

  it('keeps one key per site name, persists atomically, and refuses another mesh', async () => {
    const meshId = new Uint8Array(16).fill(1);
    const k1 = x25519KeyPair(nodeBackend).publicKey;
    const k2 = x25519KeyPair(nodeBackend).publicKey;
    const r = await Roster.open(dir, meshId);
    await r.add({
      site: 'eu',
      publicKey: k1,
      endpoints: ['10.0.0.1:7422'],
      dial: true,
      addedAt: 1,
    });
    await expect(
      r.add({ site: 'eu', publicKey: k2, endpoints: [], dial: false, addedAt: 2 }),
    ).rejects.toBeInstanceOf(RosterError);
    await expect(
      r.add({ site: 'us', publicKey: k1, endpoints: [], dial: false, addedAt: 2 }),
    ).rejects.toThrow(/already paired as site eu/);
    await expect(
      r.add({ site: 'bad.name', publicKey: k2, endpoints: [], dial: false, addedAt: 2 }),
    ).rejects.toBeInstanceOf(RosterError);
    await r.setEndpoints('eu', ['10.0.0.2:7422']);
    const back = await Roster.open(dir, meshId);
    expect(back.bySite('eu')).toMatchObject({ endpoints: ['10.0.0.2:7422'], dial: true });
    expect(back.byKey(k1)?.site).toBe('eu');
    expect((await stat(join(dir, 'roster.json'))).mode & 0o777).toBe(0o600);
    await expect(Roster.open(dir, new Uint8Array(16).fill(2))).rejects.toThrow(/another mesh/);
    await expect(back.adoptMesh(new Uint8Array(16))).rejects.toBeInstanceOf(RosterError);
    await expect(back.remove('nope')).rejects.toBeInstanceOf(UnknownPeerError);
    await back.remove('eu');
    expect((await Roster.open(dir, meshId)).size).toBe(0);
    await writeFile(join(dir, 'roster.json'), '{"version":1}');
    await expect(Roster.open(dir, meshId)).rejects.toThrow(/not valid/);
  });
});

describe('options and CLI input', () => {
  it('parses bridge options, endpoints and durations, refusing bad ones', () => {
    expect(parseBridgeOptions({})).toMatchObject({ listen: '0.0.0.0:7422', path: 'mesh-bridge' });
    expect(parseEndpoint('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseEndpoint('example.org:7422')).toEqual({ host: 'example.org', port: 7422 });
    for (const bad of ['x', ':1', 'h:99999', 'h:-1', 'a b:1']) {
      expect(() => parseEndpoint(bad)).toThrow(InvalidArgument);
    }
    expect(() => parseBridgeOptions({ listen: 'h:99999' })).toThrow(InvalidArgument);
    expect(() => parseBridgeOptions({ maxHalfOpen: 0 })).toThrow(/maxHalfOpen/);
    expect(() => parseBridgeOptions({ reconnect: { initialMs: 1 } })).toThrow(/reconnect/);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('250')).toBe(250);
    for (const bad of ['', '0', '-1h', '1y', 'h'])
      expect(() => parseDuration(bad)).toThrow(InvalidArgument);
  });
});
