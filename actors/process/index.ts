// Agents as OS processes: workspaces, scrubbed environments, secrets on a pipe, resource
// limits, process groups, per-agent logs and least-privilege NATS identities.

export { AgentLog } from './agent-log.ts';
export { secret, secretNames } from './agent-secrets.ts';
export { ProcessStartFailed, ProcessStartFailedError } from './errors.ts';
export { exitReason } from './exit-reason.ts';
export {
  type AgentIdentity,
  agentIdentity,
  agentPassword,
  OPERATOR_USER,
  operatorPassword,
} from './identity.ts';
export { AgentProcessLauncher, type ProcessLauncherOptions, processLauncher } from './launcher.ts';
export { type LimitPlan, planLimits } from './limits.ts';
export { type NatsConfigOptions, renderNatsConfig } from './nats-config.ts';
export { type AgentPermissions, type AgentPlace, agentPermissions } from './nats-permissions.ts';
export { PlanningLauncher } from './planned-launcher.ts';
export { ProcessChild } from './process-child.ts';
export { groupMembers } from './process-group.ts';
export { findNatsServer, type ServedNats, serveNats } from './serve-nats.ts';
export { Bootstrap, WorkerStatus } from './worker-protocol.ts';
