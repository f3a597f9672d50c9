import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AlertsOptions } from '../../actors/alerts/index.ts';
import type { TelemetryOptions } from '../../actors/telemetry/index.ts';
import { ActorSystem, InvalidArgument } from '../../runtime/index.ts';
import { loadConfig, type Overrides, systemOptions } from '../config.ts';
import { nodeLog } from '../node-log.ts';
import { onStopSignal } from '../stop-signal.ts';
import '../system-defaults.ts';
import { troupeOf } from '../troupe-module.ts';
import { registerTsx } from '../tsx-loader.ts';
import { UserCodeError } from '../user-code-error.ts';

export interface UpOptions extends Overrides {
  module: string;
  /** Exit after the module's `run` finishes instead of serving until a signal. */
  once?: boolean;
  /** Start a nats-server for this host with the generated per-agent config, and use it. */
  serveNats?: boolean;
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
  let file = resolve(o.module);
  if (!existsSync(file)) throw new InvalidArgument(`module ${o.module} not found`);
  // A folder is a troupe too: its index.ts is the module (examples/<team>).
  if (statSync(file).isDirectory()) {
    file = join(file, 'index.ts');
    if (!existsSync(file)) throw new InvalidArgument(`${o.module} is a folder without index.ts`);
  }
  const mod = await loadUserModule(file, o.module);
  const troupe = troupeOf(mod, o.module);
  let cfg = await loadConfig(o);
  const explicitName = o.system ?? process.env.TROUPE_SYSTEM;
  const name = explicitName ? cfg.system : (troupe.name ?? cfg.system);
  let served: { stop(): Promise<void> } | null = null;
  if (o.serveNats) {
    const { serveForUp } = await import('./nats-config.ts');
    const s = await serveForUp(troupe, name);
    served = s.served;
    cfg = { ...cfg, nats: s.nats };
  }
  const log = nodeLog({
    level: cfg.logLevel,
    file: o.logFile,
    mirror: cfg.nats !== undefined,
    format: cfg.logFormat,
  });
  const system = await ActorSystem.start({ ...systemOptions(cfg, name), logger: log.logger }).catch(
    async (err: unknown) => {
      await served?.stop();
      log.close();
      throw err;
    },
  );
  log.attach(system);
  const where = cfg.nats ? `NATS ${String(cfg.nats.servers)}` : 'embedded (memory transport)';
  let stopping: Promise<void> | null = null;
  const closers: (() => Promise<void>)[] = [];
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const c of closers.splice(0).reverse()) await c().catch(() => {});
      await system.shutdown();
    })().finally(() => {
      log.close();
      return served?.stop();
    });
    return stopping;
  };
  try {
    // Opt-in from the config: metrics and traces, then alerts, before the troupe's own actors.
    if (cfg.telemetry) {
      const { startTelemetry } = await import('../../actors/telemetry/index.ts');
      const t = await startTelemetry(system, cfg.telemetry as TelemetryOptions);
      closers.push(() => t.close());
      if (t.metricsUrl) out(`troupe up: metrics on ${t.metricsUrl}`);
    }
    if (cfg.alerts) {
      const { startAlerts } = await import('../../actors/alerts/index.ts');
      const { decodeAuditBatch } = await import('../../actors/ledger/index.ts');
      const a = await startAlerts(system, {
        auditDecoder: decodeAuditBatch,
        ...(cfg.alerts as AlertsOptions),
      });
      closers.push(() => a.close());
    }
    await userCode(file, 'setup', () => troupe.setup(system));
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
      closers.push(() => d.close());
      out(`dashboard: ${d.url}`);
    }
    const run = troupe.run;
    if (run) await userCode(file, 'run', () => run(system));
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
      offSignal();
      off();
      void stop().then(() => res(c));
    };
    const offSignal = onStopSignal((sig) => {
      out(`troupe up: ${sig}, shutting down`);
      finish(0);
    });
    const off = system.on((e) => {
      if (e.kind === 'gaveUp' && !e.path.includes('/') && gaveUp === null) {
        gaveUp = `${e.path}: ${e.reason}`;
        finish(1);
      }
    });
  });
  if (gaveUp !== null) throw new GaveUp(`top-level actor ${gaveUp}`);
  return code;
}

/** Runs a hook of the user's module; what it throws is theirs, reported at their file:line. */
async function userCode(file: string, hook: string, f: () => unknown): Promise<void> {
  try {
    await f();
  } catch (cause) {
    const e = cause as Error;
    throw new UserCodeError(`${e?.message ?? String(cause)} (in ${hook})`, file, { cause });
  }
}

/** The nearest package.json's "type" above a file, or undefined where none says. */
function packageType(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        return (JSON.parse(readFileSync(p, 'utf8')) as { type?: string }).type ?? 'commonjs';
      } catch {
        return undefined;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Imports the user's module with tsx's loader, so TypeScript needs no build step, whether their
 * package is ESM or CommonJS (the CommonJS hook covers `.ts` files of a `"type": "commonjs"`
 * package). A failure keeps esbuild's located message and says when `"type"` is the cause.
 */
async function loadUserModule(file: string, shown: string): Promise<unknown> {
  await registerTsx();
  try {
    return await import(pathToFileURL(file).href);
  } catch (cause) {
    const e = cause as NodeJS.ErrnoException;
    const message = String(e?.message ?? cause);
    const type = packageType(file);
    const esmOnly =
      /require\(\) (of )?ES Module|ERR_REQUIRE_(ESM|ASYNC_MODULE|CYCLE_MODULE)|Cannot use import statement outside a module|await is only valid|Top-level await/i.test(
        `${e?.code ?? ''} ${message}`,
      );
    const hint =
      esmOnly && type !== 'module'
        ? `troupe modules are ES modules: add "type": "module" to your package.json (it says ${JSON.stringify(type ?? 'nothing')}), or name the file .mts`
        : undefined;
    // esbuild (a syntax error) names file:line:col and shows the line: keep all of it.
    const text = /Transform failed/.test(message) ? message.trimEnd() : message.split('\n')[0];
    throw new UserCodeError(`cannot load ${shown}: ${text}`, file, {
      cause,
      ...(hint ? { hint } : {}),
    });
  }
}

/** A top-level actor (or supervisor) gave up: the troupe cannot keep its promises. */
export class GaveUp extends Error {
  override readonly name = 'GaveUp';
}
