import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type AgentPlace,
  OPERATOR_USER,
  operatorPassword,
  PlanningLauncher,
  renderNatsConfig,
  type ServedNats,
  serveNats,
} from '../../actors/process/index.ts';
import { masterKeyFromEnv } from '../../actors/secrets/index.ts';
import { ActorSystem, InvalidArgument } from '../../runtime/index.ts';
import { loadConfig, type Overrides } from '../config.ts';
import { type TroupeModule, troupeOf } from '../troupe-module.ts';
import { registerTsx } from '../tsx-loader.ts';

/** Load a troupe module the way `troupe up` does. */
export async function loadTroupe(module: string): Promise<TroupeModule> {
  const file = resolve(module);
  if (!existsSync(file)) throw new InvalidArgument(`module ${module} not found`);
  try {
    return troupeOf(await registerTsx().then(() => import(pathToFileURL(file).href)), module);
  } catch (cause) {
    if (cause instanceof InvalidArgument) throw cause;
    throw new InvalidArgument(`cannot load ${module}: ${(cause as Error).message.split('\n')[0]}`);
  }
}

/**
 * The process agents a module's tree holds, found by running its setup in an embedded system
 * whose launcher starts nothing and writes down each agent's path and declared peers.
 */
export async function planProcessAgents(
  troupe: TroupeModule,
  system: string,
): Promise<AgentPlace[]> {
  const planner = new PlanningLauncher();
  const sys = await ActorSystem.start({ name: system, logLevel: 'silent', processes: planner });
  try {
    await troupe.setup(sys);
    await sys.allStarted();
  } finally {
    await sys.shutdown({ timeoutMs: 5_000 });
  }
  return planner.agents;
}

export interface NatsConfigOptions extends Overrides {
  module: string;
  /** host:port the server listens on (default 127.0.0.1:4222). */
  listen?: string;
}

/** `troupe nats-config <module>`: print the nats-server config with one user per process agent. */
export async function natsConfig(
  o: NatsConfigOptions,
  out: (line: string) => void,
): Promise<number> {
  const troupe = await loadTroupe(o.module);
  const cfg = await loadConfig(o);
  const explicit = o.system ?? process.env.TROUPE_SYSTEM;
  const system = explicit ? cfg.system : (troupe.name ?? cfg.system);
  const agents = await planProcessAgents(troupe, system);
  const text = renderNatsConfig({
    system,
    agents,
    masterKey: masterKeyFromEnv(),
    listen: o.listen,
  });
  out(text.trimEnd());
  return 0;
}

/** `troupe up --serve-nats`: a nats-server for this host with the generated config. */
export async function serveForUp(
  troupe: TroupeModule,
  system: string,
): Promise<{ served: ServedNats; nats: { servers: string; user: string; pass: string } }> {
  const key = masterKeyFromEnv();
  const agents = await planProcessAgents(troupe, system);
  const served = await serveNats({ system, agents, masterKey: key, jetstream: true });
  return {
    served,
    nats: { servers: served.url, user: OPERATOR_USER, pass: operatorPassword(key, system) },
  };
}
