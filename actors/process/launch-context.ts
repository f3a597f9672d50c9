import type { AgentLogOptions } from './agent-log.ts';

/** What every process child of one launcher shares: where things go, and the keys. */
export interface LaunchContext {
  readonly workspaceRoot: string;
  readonly logRoot: string;
  readonly logOptions: AgentLogOptions;
  readonly nodePath: string;
  readonly heartbeatMs: number;
  readonly logLevel: string;
  /** The store's master key (agents' NATS passwords derive from it). */
  masterKey(): Uint8Array;
  /** The named secrets of an agent, decrypted for delivery on its pipe. */
  secrets(path: string, names: readonly string[]): Promise<Record<string, string>>;
}
