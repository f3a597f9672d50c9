import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { InvalidArgument, parseOptions, type SystemOptions } from '../runtime/index.ts';
import { makeLogger } from './logger.ts';
import { registerTsx } from './tsx-loader.ts';

const Token = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a subject token: A-Z a-z 0-9 _ -');

/** troupe.config.(json|ts): one file, validated; TROUPE_* variables and flags override it. */
export const ConfigSchema = z
  .object({
    system: Token.default('dev'),
    node: Token.optional(),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    /** pretty: human lines (the default on a terminal); json: pino JSON lines (the default when piped). */
    logFormat: z.enum(['pretty', 'json']).optional(),
    nats: z
      .object({
        servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
        user: z.string().optional(),
        pass: z.string().optional(),
        token: z.string().optional(),
        credsFile: z.string().optional(),
        inboxPrefix: z.string().optional(),
      })
      .strict()
      .optional(),
    shutdownTimeoutMs: z.number().int().positive().default(10_000),
    /** startAlerts options (actors/alerts): checked in full when `troupe up` starts them. */
    alerts: z.record(z.string(), z.unknown()).optional(),
    /** startTelemetry options (actors/telemetry): metrics port, tracing ratio, OTLP endpoint. */
    telemetry: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type Config = z.output<typeof ConfigSchema>;

export interface Overrides {
  config?: string;
  system?: string;
  node?: string;
  nats?: string;
  logLevel?: string;
  logFormat?: string;
}

/** Where commands that talk to a running system connect when nothing else says. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

async function readFileConfig(
  path: string | undefined,
): Promise<{ data: unknown; source: string }> {
  const candidates = path ? [path] : ['troupe.config.ts', 'troupe.config.json'];
  for (const c of candidates) {
    const abs = resolve(c);
    if (!existsSync(abs)) {
      if (path) throw new InvalidArgument(`config file ${path} does not exist`);
      continue;
    }
    if (abs.endsWith('.json')) {
      const { readFile } = await import('node:fs/promises');
      try {
        return { data: JSON.parse(await readFile(abs, 'utf8')), source: c };
      } catch (cause) {
        throw new InvalidArgument(`${c} is not valid JSON: ${(cause as Error).message}`);
      }
    }
    await registerTsx();
    const mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
    return { data: mod.default ?? {}, source: c };
  }
  return { data: {}, source: 'defaults' };
}

/** File, then environment, then flags: each stronger than the one before. */
export async function loadConfig(
  flags: Overrides,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Config> {
  const { data, source } = await readFileConfig(flags.config ?? env.TROUPE_CONFIG);
  parseOptions(ConfigSchema, data, `invalid config: ${source}`);
  const merged: Record<string, unknown> = { ...(data as object) };
  const natsFile = (data as { nats?: Record<string, unknown> }).nats;
  const nats: Record<string, unknown> = { ...(natsFile ?? {}) };
  const set = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== '') merged[k] = v;
  };
  const setNats = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== '') nats[k] = v;
  };
  set('system', env.TROUPE_SYSTEM);
  set('node', env.TROUPE_NODE);
  set('logLevel', env.TROUPE_LOG_LEVEL);
  set('logFormat', env.TROUPE_LOG_FORMAT);
  setNats('servers', env.TROUPE_NATS_URL);
  setNats('user', env.TROUPE_NATS_USER);
  setNats('pass', env.TROUPE_NATS_PASS);
  setNats('token', env.TROUPE_NATS_TOKEN);
  setNats('credsFile', env.TROUPE_NATS_CREDS);
  set('system', flags.system);
  set('node', flags.node);
  set('logLevel', flags.logLevel);
  set('logFormat', flags.logFormat);
  setNats('servers', flags.nats);
  if (Object.keys(nats).length > 0) merged.nats = nats;
  return parseOptions(ConfigSchema, merged, 'invalid config: config, TROUPE_* or flags');
}

/**
 * The config of a command that talks to a running system (tell, ask, tree, mesh, room, ledger
 * tail): like `loadConfig`, and when neither file, environment nor flag names a server, the
 * local default — the weakest source, never an override.
 */
export async function clientConfig(
  flags: Overrides,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Config> {
  const cfg = await loadConfig(flags, env);
  return cfg.nats ? cfg : { ...cfg, nats: { servers: DEFAULT_NATS_URL } };
}

/** System options from a config: NATS when a server is given, the embedded default otherwise. */
export function systemOptions(c: Config, name?: string): SystemOptions {
  return {
    name: name ?? c.system,
    node: c.node,
    logLevel: c.logLevel,
    logger: makeLogger(c),
    shutdownTimeoutMs: c.shutdownTimeoutMs,
    transport: c.nats ? { kind: 'nats', ...c.nats } : { kind: 'memory' },
  };
}
