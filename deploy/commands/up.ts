import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ActorSystem, InvalidArgument } from '../../runtime/index.ts';
import { loadConfig, type Overrides, systemOptions } from '../config.ts';
import { troupeOf } from '../troupe-module.ts';

export interface UpOptions extends Overrides {
  module: string;
  /** Exit after the module's `run` finishes instead of serving until a signal. */
  once?: boolean;
}

/** `troupe up <module.ts>`: start a system, let the module spawn its actors, serve. */
export async function up(o: UpOptions, out: (line: string) => void): Promise<number> {
  const file = resolve(o.module);
  if (!existsSync(file)) throw new InvalidArgument(`module ${o.module} not found`);
  let mod: unknown;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (cause) {
    throw new InvalidArgument(
      `cannot load ${o.module}: ${(cause as Error).message.split('\n')[0]}`,
    );
  }
  const troupe = troupeOf(mod, o.module);
  const cfg = await loadConfig(o);
  const explicitName = o.system ?? process.env.TROUPE_SYSTEM;
  const name = explicitName ? cfg.system : (troupe.name ?? cfg.system);
  const system = await ActorSystem.start(systemOptions(cfg, name));
  const where = cfg.nats ? `NATS ${String(cfg.nats.servers)}` : 'embedded (memory transport)';
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= system.shutdown();
    return stopping;
  };
  try {
    await troupe.setup(system);
    // Supervisors start their trees in order: serve (or run the job) once they have.
    await system.allStarted();
    await system.flush();
    out(`troupe up: system ${system.name} on ${where}, node ${system.node}`);
    if (troupe.run) await troupe.run(system);
  } catch (err) {
    await stop();
    throw err;
  }
  if (o.once) {
    await stop();
    return 0;
  }
  out('serving; Ctrl-C to stop');
  await new Promise<void>((res) => {
    const onSignal = (sig: string) => {
      out(`troupe up: ${sig}, shutting down`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void stop().then(res);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return 0;
}
