import { pairSites, startSite, type TestSite } from './mesh-sites.ts';
import { eventually } from './processes.ts';

/** Wait until `site`'s bridge holds an open link to `peer`. */
export async function linkUp(site: TestSite, peer: string, timeoutMs = 15_000): Promise<void> {
  await eventually(async () => {
    const peers = await site.system.ask(site.bridge.ref, 'peers', {}, { timeout: 2000 });
    if (!peers.find((p) => p.site === peer)?.connected) throw new Error('not connected');
  }, timeoutMs);
}

/**
 * Two mesh sites, siteA on 127.0.0.1 and siteB on 127.0.0.2, paired through an invite, once the
 * link is up from both ends: the start of every test that crosses the mesh between two sites.
 */
export async function startPairedSites(): Promise<{ a: TestSite; b: TestSite }> {
  const a = await startSite('siteA');
  let b: TestSite | undefined;
  try {
    b = await startSite('siteB', { host: '127.0.0.2' });
    await pairSites(a, b);
    await linkUp(a, 'siteB');
    await linkUp(b, 'siteA');
    return { a, b };
  } catch (err) {
    await b?.close();
    await a.close();
    throw err;
  }
}
