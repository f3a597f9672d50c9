import { createHash, createHmac } from 'node:crypto';

/**
 * Everything an agent is called on the broker derives from its system and path, so the
 * supervisor that starts it and `troupe nats-config` that writes the server's users agree
 * without sharing any state: its node name, its inbox prefix, its user and its password.
 */
export interface AgentIdentity {
  readonly system: string;
  readonly path: string;
  /** Node name of the agent's process (a subject token). */
  readonly node: string;
  /** Reply inbox prefix: only this agent may subscribe under it. */
  readonly inboxPrefix: string;
  readonly user: string;
}

function digest(system: string, path: string): string {
  return createHash('sha256').update(`${system}\0${path}`).digest('hex').slice(0, 16);
}

export function agentIdentity(system: string, path: string): AgentIdentity {
  const h = digest(system, path);
  return {
    system,
    path,
    node: `p-${h}`,
    inboxPrefix: `_INBOX_${h}`,
    user: `agent:${system}:${path}`,
  };
}

/** The agent's NATS password: an HMAC of its identity under the store's master key. */
export function agentPassword(masterKey: Uint8Array, system: string, path: string): string {
  return createHmac('sha256', masterKey)
    .update(`troupe/nats-agent/v1\0${system}\0${path}`)
    .digest('base64url');
}

/** The operator's password (the supervising node and the CLI), derived the same way. */
export function operatorPassword(masterKey: Uint8Array, system: string): string {
  return createHmac('sha256', masterKey)
    .update(`troupe/nats-operator/v1\0${system}`)
    .digest('base64url');
}

export const OPERATOR_USER = 'troupe';
