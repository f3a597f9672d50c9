import { NoSuchSecret } from '../secrets/errors.ts';

let held: Readonly<Record<string, string>> = Object.freeze({});
let agentPath = '';

/** Set by the troupe worker when its bootstrap arrives (never from the environment). */
export function setAgentSecrets(path: string, secrets: Record<string, string>): void {
  agentPath = path;
  held = Object.freeze({ ...secrets });
}

/** One of this agent process's secrets, as delivered at start; NoSuchSecret when absent. */
export function secret(name: string): string {
  const v = held[name];
  if (v === undefined) throw new NoSuchSecret(agentPath || '(not an agent process)', name);
  return v;
}

/** The names of the secrets this process holds. */
export function secretNames(): string[] {
  return Object.keys(held);
}
