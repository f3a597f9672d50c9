import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { A2AAuth } from '../../actors/interop/index.ts';
import {
  type ServeTarget,
  serveA2A,
  serveMcpHttp,
  serveMcpStdio,
} from '../../actors/interop/index.ts';

import { ActorSystem, actorRef, InvalidArgument } from '../../runtime/index.ts';
import { loadConfig, type Overrides, systemOptions } from '../config.ts';
import { untilStopSignal } from '../stop-signal.ts';
import { type TroupeModule, troupeOf } from '../troupe-module.ts';
import { registerTsx } from '../tsx-loader.ts';

export interface ServeOptions extends Overrides {
  /** A module (.ts/.js), or the path of a running actor (with --nats). */
  target: string;
  host?: string | undefined;
  port?: string | undefined;
  stdio?: boolean | undefined;
}

/** What a module may export beside its troupe: which actors to serve, by path. */
const ServeList = z
  .array(
    z
      .object({
        path: z.string().min(1),
        def: z
          .object({ type: z.string(), asks: z.record(z.string(), z.unknown()) })
          .loose()
          .optional(),
        name: z.string().min(1).optional(),
        description: z.string().optional(),
        asks: z.array(z.string()).min(1).optional(),
        timeoutMs: z.number().int().positive().optional(),
      })
      .strict(),
  )
  .min(1);

function isDef(d: unknown): d is ServeTarget['def'] & { type: string } {
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof (d as { type?: unknown }).type === 'string' &&
    typeof (d as { asks?: unknown }).asks === 'object' &&
    typeof (d as { entries?: unknown }).entries === 'object'
  );
}

function portOf(p: string | undefined): number {
  if (p === undefined) return 0;
  const n = Number(p);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgument(`--port must be 0-65535 (got ${p})`);
  return n;
}

/** Credentials from the environment (never the command line, where `ps` shows them). */
function authFromEnv(): A2AAuth | undefined {
  const list = (v: string | undefined) =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  const bearer = list(process.env.TROUPE_A2A_TOKENS);
  const keys = list(process.env.TROUPE_A2A_API_KEYS);
  if (bearer.length === 0 && keys.length === 0) return undefined;
  return {
    ...(bearer.length > 0 ? { bearer } : {}),
    ...(keys.length > 0
      ? { apiKey: { header: process.env.TROUPE_A2A_API_KEY_HEADER ?? 'X-API-Key', keys } }
      : {}),
  };
}

/**
 * Start a system and find what to serve: a module whose default export is an actor definition
 * (spawned once and served), or a troupe module (`defineTroupe`) exporting
 * `serve = [{ path, def?, name?, description? }]`; or the path of an actor already running
 * on NATS (served with a `run` ask of any input).
 */
async function targets(o: ServeOptions): Promise<{ system: ActorSystem; targets: ServeTarget[] }> {
  const cfg = await loadConfig(o);
  const isModule = /\.(c|m)?(t|j)s$/.test(o.target);
  if (!isModule) {
    if (!cfg.nats)
      throw new InvalidArgument(
        `${o.target} is not a module; serving a running actor needs --nats`,
      );
    const system = await ActorSystem.start(systemOptions(cfg));
    return { system, targets: [{ ref: actorRef(system.name, o.target) }] };
  }
  const file = resolve(o.target);
  if (!existsSync(file)) throw new InvalidArgument(`module ${o.target} not found`);
  let mod: Record<string, unknown>;
  try {
    mod = (await registerTsx().then(() => import(pathToFileURL(file).href))) as Record<
      string,
      unknown
    >;
  } catch (cause) {
    throw new InvalidArgument(
      `cannot load ${o.target}: ${(cause as Error).message.split('\n')[0]}`,
    );
  }
  const d = mod.default;
  if (isDef(d)) {
    const system = await ActorSystem.start(systemOptions(cfg));
    const ref = system.spawn(d as never, { name: d.type });
    return { system, targets: [{ ref, def: d }] };
  }
  const troupe: TroupeModule = troupeOf(mod, o.target);
  const list = ServeList.safeParse(mod.serve);
  if (!list.success) {
    throw new InvalidArgument(
      `${o.target} must export default an actor definition, or export serve = [{ path, def?, name? }] beside its troupe`,
    );
  }
  const system = await ActorSystem.start(systemOptions(cfg, troupe.name ?? cfg.system));
  await troupe.setup(system);
  await system.allStarted();
  return {
    system,
    targets: list.data.map((t) => ({ ...t, ref: actorRef(system.name, t.path) }) as ServeTarget),
  };
}

/** Both serve commands: start the targets' system, serve until `serve` returns, then shut it down. */
async function serveTargets(
  o: ServeOptions,
  serve: (system: ActorSystem, ts: ServeTarget[]) => Promise<void>,
): Promise<number> {
  const { system, targets: ts } = await targets(o);
  try {
    await serve(system, ts);
  } finally {
    await system.shutdown();
  }
  return 0;
}

/** `troupe serve a2a <module|path> [--host h] [--port p]`: one actor as an A2A agent over HTTP. */
export function serveA2aCommand(o: ServeOptions, out: (line: string) => void): Promise<number> {
  return serveTargets(o, async (system, ts) => {
    if (ts.length !== 1)
      throw new InvalidArgument(`serve a2a serves one actor; ${o.target} lists ${ts.length}`);
    const server = await serveA2A(system, {
      target: ts[0]!,
      host: o.host ?? '127.0.0.1',
      port: portOf(o.port),
      ...(authFromEnv() ? { auth: authFromEnv()! } : {}),
    });
    out(
      `troupe serve a2a: ${server.card.name} at ${server.url} (card ${new URL('.well-known/agent-card.json', server.url)})`,
    );
    await untilStopSignal();
    await server.close();
  });
}

/** `troupe serve mcp <module|path> [--stdio | --host h --port p]`: actors' asks as MCP tools. */
export function serveMcpCommand(o: ServeOptions, out: (line: string) => void): Promise<number> {
  return serveTargets(o, async (system, ts) => {
    if (o.stdio) {
      const serving = await serveMcpStdio(system, { targets: ts });
      // The client ends the session by closing our stdin.
      await new Promise<void>((res) => {
        process.stdin.once('end', res);
        process.stdin.once('close', res);
        process.once('SIGTERM', res);
        process.once('SIGINT', res);
      });
      await serving.close();
    } else {
      const serving = await serveMcpHttp(system, {
        targets: ts,
        host: o.host ?? '127.0.0.1',
        port: portOf(o.port),
      });
      out(`troupe serve mcp: ${serving.url}`);
      await untilStopSignal();
      await serving.close();
    }
  });
}
