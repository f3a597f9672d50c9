import { randomBytes } from 'node:crypto';
import { ActorSystem } from '../runtime/index.ts';
import { clientConfig, type Overrides, systemOptions } from './config.ts';

/**
 * A short-lived node on a running system's broker, for commands that talk to it (tell, ask,
 * tree, mesh, room): NATS from the config file, TROUPE_NATS_URL or --nats (the local default
 * only when none of them names a server), silent, no heartbeat.
 */
export async function startCliClient(o: Overrides): Promise<ActorSystem> {
  const cfg = await clientConfig(o);
  return ActorSystem.start({
    ...systemOptions({ ...cfg, logLevel: 'silent' }),
    node: `cli-${randomBytes(4).toString('hex')}`,
    heartbeatMs: 0,
  });
}
