import { randomBytes } from 'node:crypto';
import { ActorSystem } from '../runtime/index.ts';
import { loadConfig, type Overrides, systemOptions } from './config.ts';

/**
 * A short-lived node on a running system's broker, for commands that talk to it (tell, ask,
 * tree, mesh, room): NATS at --nats, TROUPE_NATS_URL or the local default, silent, no heartbeat.
 */
export async function startCliClient(o: Overrides): Promise<ActorSystem> {
  const cfg = await loadConfig({
    ...o,
    nats: o.nats ?? process.env.TROUPE_NATS_URL ?? 'nats://127.0.0.1:4222',
  });
  return ActorSystem.start({
    ...systemOptions(cfg),
    node: `cli-${randomBytes(4).toString('hex')}`,
    logLevel: 'silent',
    heartbeatMs: 0,
  });
}
