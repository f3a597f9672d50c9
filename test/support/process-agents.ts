import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OPERATOR_USER, operatorPassword } from '../../actors/process/identity.ts';
import { processLauncher, type ServedNats, serveNats } from '../../actors/process/index.ts';
import type { AgentPlace } from '../../actors/process/nats-permissions.ts';
import { SecretStore } from '../../actors/secrets/index.ts';
import { ActorSystem } from '../../runtime/index.ts';

export const AGENTS_MODULE = resolve(import.meta.dirname, '../fixtures/process/agents.ts');

/** A nats-server with the generated config, a secret store and a system that launches agents. */
export interface ProcessRig {
  readonly dir: string;
  readonly key: Uint8Array;
  readonly nats: ServedNats;
  readonly store: SecretStore;
  readonly system: ActorSystem;
  readonly workspaces: string;
  readonly logs: string;
  close(): Promise<void>;
}

export async function processRig(name: string, agents: AgentPlace[]): Promise<ProcessRig> {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-proc-'));
  const key = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff);
  const nats = await serveNats({ system: name, agents, masterKey: key });
  const store = new SecretStore(join(dir, 'secrets'), key);
  const workspaces = join(dir, 'ws');
  const logs = join(dir, 'logs');
  const system = await ActorSystem.start({
    name,
    logLevel: 'silent',
    transport: {
      kind: 'nats',
      servers: nats.url,
      user: OPERATOR_USER,
      pass: operatorPassword(key, name),
    },
    processes: processLauncher({
      workspaceRoot: workspaces,
      logRoot: logs,
      secretsDir: store.dir,
      masterKey: key,
      logLevel: 'warn',
    }),
  });
  return {
    dir,
    key,
    nats,
    store,
    system,
    workspaces,
    logs,
    async close() {
      await system.shutdown({ timeoutMs: 20_000 }).catch(() => {});
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Poll `f` until it returns a value (bounded): for states only the OS can tell (a pid). */
export async function until<T>(
  f: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
