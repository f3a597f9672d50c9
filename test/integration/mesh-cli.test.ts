import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initIdentity, RoomOperationError } from '../../actors/bridge/index.ts';
import {
  meshForget,
  meshInvite,
  meshJoin,
  meshPeers,
  meshStatus,
} from '../../deploy/commands/mesh.ts';
import { BridgeUnreachableError } from '../../deploy/commands/mesh-client.ts';
import {
  roomAdd,
  roomCreate,
  roomList,
  roomRemove,
  roomSend,
  roomWatch,
} from '../../deploy/commands/room.ts';
import { InvalidArgument, RemoteError } from '../../index.ts';
import { startSite, type TestSite } from '../support/mesh-sites.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { eventually, spawnTs, stopChild } from '../support/processes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PASS = 'cli-test-pass';

// CLI processes on a loaded 2-core machine: generous limits (speed lives in bench/).
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

/** Runs the real CLI (`bin/troupe.js`) and returns its exit code and output. */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      [resolve(ROOT, 'bin/troupe.js'), ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 90_000 },
      (error, stdout, stderr) => {
        res({ code: error ? Number(error.code ?? 1) : 0, out: stdout, err: stderr });
      },
    );
  });
}

describe('troupe mesh init (offline)', () => {
  it('creates the identity, prints its key, and refuses to overwrite it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'troupe-cli-init-'));
    const site = join(dir, 'mesh');
    const first = await cli(['mesh', 'init', '--dir', site]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/fingerprint {2}([0-9a-f]{4}:){7}[0-9a-f]{4}/);
    expect((await stat(join(site, 'identity.json'))).mode & 0o777).toBe(0o600);
    const again = await cli(['mesh', 'init'], { TROUPE_MESH_DIR: site });
    expect(again.code).toBe(1);
    expect(again.err.trim().split('\n')).toHaveLength(1);
    expect(again.err).toMatch(/^troupe: IdentityError: .*--force/);
    // A bridge needs the site's NATS: without one, one line saying so.
    const noNats = await cli(['mesh', 'up', '--dir', site], { TROUPE_NATS_URL: '' });
    expect(noNats.code).toBe(1);
    expect(noNats.err).toMatch(/^troupe: BridgeNeedsNatsError: .*--nats/);
    const usage = await cli(['mesh', 'fly']);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/unknown mesh command fly/);
    const arity = await cli(['room', 'send', 'only-room']);
    expect(arity.code).toBe(2);
    expect(arity.err).toMatch(/room send takes <room> <message>/);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('pairing two sites by hand, with the CLI', () => {
  let serverA: NatsServer;
  let b: TestSite;
  let dirA: string;
  let bridgeA: Awaited<ReturnType<typeof spawnTs>>;
  const env = { TROUPE_NATS_USER: 'troupe', TROUPE_NATS_PASS: PASS };
  const saved: Record<string, string | undefined> = {};
  const out: string[] = [];
  const print = (l: string) => {
    out.push(l);
  };
  const siteA = () => ({ nats: serverA.url, system: 'siteA' });
  const siteB = () => ({ nats: b.server.url, system: 'siteB' });

  beforeAll(async () => {
    // The in-process commands read the broker's credentials from the environment, as the CLI does.
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    serverA = await startNatsServer({ jetstream: false, pass: PASS });
    dirA = await mkdtemp(join(tmpdir(), 'troupe-cli-a-'));
    await initIdentity(dirA);
    // Site A's bridge is the real `troupe mesh up`, in its own process.
    bridgeA = await spawnTs(
      'bin/troupe.js',
      [
        'mesh',
        'up',
        '--nats',
        serverA.url,
        '--system',
        'siteA',
        '--dir',
        dirA,
        '--listen',
        '127.0.0.1:0',
      ],
      { env: { ...env, TROUPE_LOG_LEVEL: 'silent' } },
    );
    b = await startSite('siteB', {
      host: '127.0.0.2',
      server: await startNatsServer({ jetstream: false, pass: PASS }),
    });
  });

  afterAll(async () => {
    if (bridgeA) await stopChild(bridgeA);
    await b?.close();
    await stopAllNatsServers();
    if (dirA) await rm(dirA, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('mesh up prints where it listens', () => {
    expect(bridgeA.output()).toMatch(/site siteA listening on 127\.0\.0\.1:\d+/);
  });

  it('invite, join, peers, status', async () => {
    out.length = 0;
    await meshInvite({ ...siteA(), expires: '10m', label: 'site B' }, print);
    const token = out[0]!;
    expect(token).toMatch(/^mesh1\./);
    await meshJoin({ ...siteB(), token }, print);
    expect(out[1]).toMatch(
      /^paired with site siteA \(([0-9a-f]{4}:?){8}\); dialing 127\.0\.0\.1:\d+/,
    );
    await eventually(async () => {
      out.length = 0;
      await meshPeers(siteA(), print);
      expect(out[1]).toMatch(/^siteB\s+\S+\s+connected\s+dialed by/);
    });
    out.length = 0;
    await meshStatus(siteA(), print);
    expect(out.join('\n')).toMatch(/peers {8}1 \(1 connected\)/);
    // The same token again: already used.
    const reuse = await meshJoin({ ...siteB(), token }, print).catch((e: Error) => e);
    expect(reuse).toBeInstanceOf(RemoteError);
    expect((reuse as RemoteError).code).toBe('JoinFailed');
  });

  it('room create, add, send, watch, list, remove', async () => {
    out.length = 0;
    await roomCreate({ ...siteA(), room: 'ops' }, print);
    await roomAdd({ ...siteA(), room: 'ops', site: 'siteB' }, print);
    expect(out[1]).toMatch(/^room ops \(admin: this site\), epoch 2, members siteA, siteB/);
    await eventually(async () => {
      out.length = 0;
      await roomList(siteB(), print);
      expect(out[0]).toMatch(/^room ops \(admin: siteA\), epoch 2/);
    });
    out.length = 0;
    const watching = roomWatch({ ...siteB(), room: 'ops', count: 1 }, print);
    await eventually(async () => expect(out[0]).toMatch(/^watching room ops/));
    await roomSend({ ...siteA(), room: 'ops', message: '{"deploy":"v2"}' }, print);
    await watching;
    expect(out.find((l) => l.includes('siteA (epoch 2): {"deploy":"v2"}'))).toBeDefined();
    out.length = 0;
    await roomRemove({ ...siteA(), room: 'ops', site: 'siteB' }, print);
    expect(out[0]).toMatch(/epoch 3, members siteA$/);
  });

  it('bad input is a typed error: tokens, sites, durations, a missing bridge', async () => {
    // Errors raised in the bridge's process come back with their code.
    const bad = (await meshJoin({ ...siteB(), token: 'not-a-token' }, print).catch(
      (e: Error) => e,
    )) as InvalidArgument;
    expect(bad).toBeInstanceOf(InvalidArgument);
    expect(bad.code).toBe('InvalidArgument');
    expect(bad.message).toMatch(/mesh1\./);
    const forget = await meshForget({ ...siteA(), site: 'nobody' }, print).catch((e: Error) => e);
    expect(forget).toBeInstanceOf(RemoteError);
    expect((forget as RemoteError).code).toBe('UnknownPeer');
    await expect(meshInvite({ ...siteA(), expires: 'forever' }, print)).rejects.toBeInstanceOf(
      InvalidArgument,
    );
    await expect(meshInvite({ ...siteA(), expires: '30d' }, print)).rejects.toThrow(/ttlMs/);
    await expect(roomWatch({ ...siteB(), room: 'nope', count: 1 }, print)).rejects.toBeInstanceOf(
      RoomOperationError,
    );
    await expect(meshPeers({ ...siteA(), bridge: 'no-bridge' }, print)).rejects.toBeInstanceOf(
      BridgeUnreachableError,
    );
    // Through the real CLI: one line, the remote code, exit 1.
    const r = await cli(
      ['mesh', 'forget', 'nobody', '--nats', serverA.url, '--system', 'siteA'],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^troupe: UnknownPeer: no paired peer named "nobody"/);
  });

  it('mesh up stops cleanly on SIGTERM', async () => {
    await stopChild(bridgeA, 'SIGTERM');
    expect(bridgeA.exitCode).toBe(0);
    expect(bridgeA.output()).toMatch(/SIGTERM, shutting down/);
  });
});
