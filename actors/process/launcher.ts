import { resolve } from 'node:path';
import { z } from 'zod';
import {
  type Child,
  type ProcessChildRequest,
  type ProcessLauncher,
  parseOptions,
} from '../../runtime/index.ts';
import { masterKeyFromEnv } from '../secrets/master-key.ts';
import { SecretStore, secretsDirFromEnv } from '../secrets/secret-store.ts';
import type { LaunchContext } from './launch-context.ts';
import { ProcessChild } from './process-child.ts';

const OptionsSchema = z
  .object({
    /** Parent of default workspaces (default TROUPE_WORKSPACES or `.troupe/workspaces`). */
    workspaceRoot: z.string().min(1).optional(),
    /** Where per-agent log files go (default TROUPE_AGENT_LOGS or `.troupe/logs`). */
    logRoot: z.string().min(1).optional(),
    logMaxBytes: z.number().int().min(1024).optional(),
    logKeep: z.number().int().min(0).max(100).optional(),
    /** The secret store directory (default TROUPE_SECRETS_DIR or `.troupe/secrets`). */
    secretsDir: z.string().min(1).optional(),
    /** The master key (default TROUPE_SECRETS_KEY / TROUPE_SECRETS_KEY_FILE, read when needed). */
    masterKey: z.instanceof(Uint8Array).optional(),
    /** The node binary for the troupe worker (default: this one). */
    nodePath: z.string().min(1).optional(),
    /** The agent process's node heartbeat (ms). */
    heartbeatMs: z.number().int().nonnegative().max(600_000).optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  })
  .strict();
export type ProcessLauncherOptions = z.input<typeof OptionsSchema>;

/** Starts `start.process` children as OS processes (see docs/isolation.md). */
export class AgentProcessLauncher implements ProcessLauncher, LaunchContext {
  readonly workspaceRoot: string;
  readonly logRoot: string;
  readonly logOptions: { maxBytes?: number; keep?: number };
  readonly nodePath: string;
  readonly heartbeatMs: number;
  readonly logLevel: string;
  private key: Uint8Array | undefined;
  private readonly secretsDir: string;
  private store: SecretStore | null = null;

  constructor(options: ProcessLauncherOptions = {}) {
    const o = parseOptions(OptionsSchema, options, 'process launcher');
    const env = process.env;
    this.workspaceRoot = resolve(
      o.workspaceRoot ?? (env.TROUPE_WORKSPACES || '.troupe/workspaces'),
    );
    this.logRoot = resolve(o.logRoot ?? (env.TROUPE_AGENT_LOGS || '.troupe/logs'));
    this.logOptions = { maxBytes: o.logMaxBytes, keep: o.logKeep };
    this.secretsDir = o.secretsDir ?? secretsDirFromEnv();
    this.key = o.masterKey;
    this.nodePath = o.nodePath ?? process.execPath;
    this.heartbeatMs = o.heartbeatMs ?? 1_000;
    this.logLevel = o.logLevel ?? (env.TROUPE_LOG_LEVEL || 'info');
  }

  masterKey(): Uint8Array {
    this.key ??= masterKeyFromEnv();
    return this.key;
  }

  secrets(path: string, names: readonly string[]): Promise<Record<string, string>> {
    if (names.length === 0) return Promise.resolve({});
    this.store ??= new SecretStore(this.secretsDir, this.masterKey());
    return this.store.resolve(path, names);
  }

  spawn(req: ProcessChildRequest): Child {
    return new ProcessChild(this, req);
  }
}

export function processLauncher(options?: ProcessLauncherOptions): AgentProcessLauncher {
  return new AgentProcessLauncher(options);
}
