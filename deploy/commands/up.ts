import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ActorSystem, InvalidArgument } from '../../runtime/index.ts';
import { loadConfig, type Overrides, systemOptions } from '../config.ts';
import { nodeLog } from '../node-log.ts';
import { troupeOf } from '../troupe-module.ts';

export interface UpOptions extends Overrides {
  module: string;
  /** Exit after the module's `run` finishes instead of serving until a signal. */
  once?: boolean;
  /** Also write the node's JSON log lines to this file (what `troupe logs` reads). */
  logFile?: string;
  /** Serve the live dashboard from this node (dashboard/), on 127.0.0.1 unless `dashboardHost`. */
  dashboard?: boolean;
  dashboardHost?: string;
  dashboardPort?: number;
  dashboardToken?: string;
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
  const log = nodeLog({ level: cfg.logLevel, file: o.logFile, mirror: cfg.nats !== undefined });
  const system = await ActorSystem.start({ ...systemOptions(cfg, name), logger: log.logger });
  log.attach(system);
  const where = cfg.nats ? `NATS ${String(cfg.nats.servers)}` : 'embedded (memory transport)';
  let stopping: Promise<void> | null = null;
  let board: { close(): Promise<void> } | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (board?.close() ?? Promise.resolve())
      .then(() => system.shutdown())
      .finally(() => log.close());
    return stopping;
  };
  try {
    await troupe.setup(system);
    // Supervisors start their trees in order: serve (or run the job) once they have.
    await system.allStarted();
    await system.flush();
    out(`troupe up: system ${system.name} on ${where}, node ${system.node}`);
    if (o.dashboard) {
      const { startDashboard } = await import('../../dashboard/index.ts');
      const d = await startDashboard(system, {
        host: o.dashboardHost,
        port: o.dashboardPort,
        token: o.dashboardToken,
      });
      board = d;
      out(`dashboard: ${d.url}`);
    }
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
  // Like an OTP application whose top supervisor died: a top-level actor giving up ends the run.
  let gaveUp: string | null = null;
  const code = await new Promise<number>((res) => {
    const finish = (c: number) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      off();
      void stop().then(() => res(c));
    };
    const onSignal = (sig: string) => {
      out(`troupe up: ${sig}, shutting down`);
      finish(0);
    };
    const off = system.on((e) => {
      if (e.kind === 'gaveUp' && !e.path.includes('/') && gaveUp === null) {
        gaveUp = `${e.path}: ${e.reason}`;
        finish(1);
      }
    });
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  if (gaveUp !== null) throw new GaveUp(`top-level actor ${gaveUp}`);
  return code;
}

/** A top-level actor (or supervisor) gave up: the troupe cannot keep its promises. */
export class GaveUp extends Error {
  override readonly name = 'GaveUp';
}
