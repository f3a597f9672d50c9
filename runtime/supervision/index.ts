export { type BackoffPolicy, backoffDelay } from './backoff.ts';
export type {
  Backoff,
  ChildSpec,
  RestartType,
  Shutdown,
  Strategy,
  SupervisorFlags,
} from './child-spec.ts';
export { type ChildInfo, defineSupervisor, type SupervisorSpec } from './define-supervisor.ts';
export { allowRestart } from './restart-intensity.ts';
export { affected, isNormalExit } from './strategy.ts';
