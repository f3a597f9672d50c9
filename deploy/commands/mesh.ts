import {
  type BridgeHandle,
  fingerprint,
  initIdentity,
  meshDir,
  type PeerInfo,
  startBridge,
} from '../../actors/bridge/index.ts';
import { toHex } from '../../protocols/crypto/index.ts';
import { ActorSystem } from '../../runtime/index.ts';
import { loadConfig, type Overrides, systemOptions } from '../config.ts';
import { untilStopSignal } from '../stop-signal.ts';
import { type BridgeClientOptions, parseDuration, withBridge } from './mesh-client.ts';

type Out = (line: string) => void;

/** `troupe mesh init`: a site identity in the mesh directory. Works offline. */
export async function meshInit(o: { dir?: string; force?: boolean }, out: Out): Promise<number> {
  const dir = meshDir(o.dir);
  const id = await initIdentity(dir, { force: o.force === true });
  out(`site identity created in ${dir}`);
  out(`public key   ${toHex(id.keyPair.publicKey)}`);
  out(`fingerprint  ${fingerprint(id.keyPair.publicKey)}`);
  out(`mesh id      ${toHex(id.meshId)} (joining another site's mesh adopts its id)`);
  return 0;
}

export interface MeshUpOptions extends Overrides {
  dir?: string;
  listen?: string;
  /** Comma-separated `host:port` list. */
  advertise?: string;
  bridge?: string;
}

/** `troupe mesh up`: run the site's bridge until a signal. Needs the site's NATS. */
export async function meshUp(o: MeshUpOptions, out: Out): Promise<number> {
  const cfg = await loadConfig(o);
  const system = await ActorSystem.start(systemOptions(cfg));
  let bridge: BridgeHandle;
  try {
    bridge = await startBridge(system, {
      dir: meshDir(o.dir),
      ...(o.listen ? { listen: o.listen } : {}),
      ...(o.advertise ? { advertise: o.advertise.split(',').map((s) => s.trim()) } : {}),
      ...(o.bridge ? { path: o.bridge } : {}),
    });
  } catch (err) {
    await system.shutdown({ timeoutMs: 2000 });
    throw err;
  }
  out(
    `troupe mesh: site ${system.name} listening on ${bridge.listen}, advertising ` +
      `${bridge.advertise.join(', ')}, key ${bridge.fingerprint}`,
  );
  out('ready; Ctrl-C to stop');
  const sig = await untilStopSignal();
  out(`troupe mesh: ${sig}, shutting down`);
  await system.shutdown();
  return 0;
}

/** `troupe mesh invite [--expires 24h] [--label text]`: prints a single-use token. */
export async function meshInvite(
  o: BridgeClientOptions & { expires?: string; label?: string },
  out: Out,
): Promise<number> {
  const ttlMs = o.expires === undefined ? undefined : parseDuration(o.expires);
  const r = await withBridge(o, (sys, bridge, opts) =>
    sys.ask(
      bridge,
      'invite',
      {
        ...(ttlMs === undefined ? {} : { ttlMs }),
        ...(o.label === undefined ? {} : { label: o.label }),
      },
      opts,
    ),
  );
  out(r.token);
  return 0;
}

/** `troupe mesh join <token>`: pair with the inviter; prints who it is once its hello arrived. */
export async function meshJoin(
  o: BridgeClientOptions & { token: string },
  out: Out,
): Promise<number> {
  const r = await withBridge({ timeoutMs: 30_000, ...o }, (sys, bridge, opts) =>
    sys.ask(bridge, 'join', { token: o.token }, opts),
  );
  out(`paired with site ${r.site} (${r.fingerprint}); dialing ${r.endpoints.join(', ')}`);
  return 0;
}

function peerLine(p: PeerInfo): string {
  const state = p.connected ? 'connected' : p.held > 0 ? `down (${p.held} held)` : 'down';
  return `${p.site.padEnd(20)} ${p.fingerprint}  ${state.padEnd(18)} ${p.dial ? 'dials' : 'dialed by'} ${p.endpoints.join(',') || '-'}`;
}

/** `troupe mesh peers`: the roster, with link state. */
export async function meshPeers(o: BridgeClientOptions, out: Out): Promise<number> {
  const peers = await withBridge(o, (sys, bridge, opts) => sys.ask(bridge, 'peers', {}, opts));
  if (peers.length === 0) {
    out(
      'no peers yet: `troupe mesh invite` here, then `troupe mesh join <token>` on the other site',
    );
    return 0;
  }
  out(`${'SITE'.padEnd(20)} ${'FINGERPRINT'.padEnd(39)}  ${'LINK'.padEnd(18)} ENDPOINTS`);
  for (const p of peers) out(peerLine(p));
  return 0;
}

/** `troupe mesh status`: this site's identity, listener and peers. */
export async function meshStatus(o: BridgeClientOptions, out: Out): Promise<number> {
  const s = await withBridge(o, (sys, bridge, opts) => sys.ask(bridge, 'status', {}, opts));
  out(`site         ${s.site}`);
  out(`fingerprint  ${s.fingerprint}`);
  out(`mesh id      ${s.meshId}`);
  out(`listening    ${s.listen} (advertised: ${s.advertise.join(', ')})`);
  out(`refused      ${s.refused} connections (rate limit), ${s.halfOpen} handshakes in progress`);
  out(`peers        ${s.peers.length} (${s.peers.filter((p) => p.connected).length} connected)`);
  for (const p of s.peers) out(`  ${peerLine(p)}`);
  return 0;
}

/** `troupe mesh forget <site>`: unpair a site. */
export async function meshForget(
  o: BridgeClientOptions & { site: string },
  out: Out,
): Promise<number> {
  const r = await withBridge(o, (sys, bridge, opts) =>
    sys.ask(bridge, 'forget', { site: o.site }, opts),
  );
  out(`forgot site ${r.site} (${r.fingerprint})`);
  return 0;
}
