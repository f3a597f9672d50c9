export {
  type ActorRefSchema,
  type AsProtocol,
  actorRef,
  actorRefSchema,
  type ProtocolFrom,
  type ProtocolSource,
  type ShardRefSchema,
  shardRef,
  shardRefSchema,
} from './actor-ref-schema.ts';
export {
  type ActorRef,
  actorSubject,
  isShardRef,
  meshSubject,
  parseRef,
  qualifiedFrom,
  type Ref,
  routeSubject,
  type ShardRef,
  senderRef,
  shardSubject,
} from './address.ts';
export { type AuditEvent, type AuditSink, MemoryAuditSink } from './audit.ts';
export type {
  ActorContext,
  AskContext,
  AskOptions,
  MailboxOptions,
  OverflowPolicy,
  ReplyHandle,
  Sender,
  SpawnOptions,
  TellOptions,
  Terminated,
  Timers,
} from './context.ts';
export { DEAD_LETTERS_PATH, type DeadLetter } from './dead-letters.ts';
export {
  type ActorDef,
  type ActorSpec,
  type AskHandler,
  defineActor,
  type ProtocolOf,
  type TellHandler,
} from './define-actor.ts';
export {
  ActorFailed,
  ActorFailedError,
  Hung,
  HungError,
  InvalidArgument,
  InvalidArgumentError,
  MailboxFull,
  MailboxFullError,
  NamedError,
  NoReply,
  NoReplyError,
  NoSuchActor,
  NoSuchActorError,
  PayloadTooLarge,
  PayloadTooLargeError,
  PermissionDenied,
  PermissionDeniedError,
  permissionDenied,
  Rejected,
  RejectedError,
  RemoteError,
  Stopped,
  StoppedError,
  Timeout,
  TimeoutError,
  TransportError,
  TroupeError,
  type TroupeErrorOptions,
} from './errors.ts';
export type { EventListener, RuntimeEvent, RuntimeEventKind } from './events.ts';
export type { NodeStats } from './node-stats.ts';
export { parseOptions } from './parse-options.ts';
export type {
  ProcessChildRequest,
  ProcessInfo,
  ProcessLauncher,
} from './process-port.ts';
export type { AskBody, AskMap, AskReply, AskSpec, AskType, Protocol, TellMap } from './protocol.ts';
export {
  type Backoff,
  type BackoffPolicy,
  backoffDelay,
  type ChildInfo,
  type ChildSpec,
  defineSupervisor,
  type RestartType,
  type Shutdown,
  type Strategy,
  type SupervisorFlags,
  type SupervisorSpec,
} from './supervision/index.ts';
export { type ProcessStart, ProcessStartSchema } from './supervision/process-spec.ts';
export type { Child } from './supervision/supervision-host.ts';
export { ActorSystem } from './system.ts';
export type { SystemOptions, TransportOptions } from './system-options.ts';
export {
  type ModelUsage,
  NO_TELEMETRY,
  setTelemetryHooks,
  type TelemetryActor,
  type TelemetryHooks,
  type TelemetryMessage,
  type TelemetryPort,
  type TypeStats,
  telemetryFor,
  type WorkSpan,
} from './telemetry.ts';
export { childTraceparent, isTraceparent, newTraceparent } from './trace.ts';
export { Watchdog } from './watchdog-actor.ts';
export type { WatchdogArgs, WatchdogDef, WatchdogPort, WatchedActor } from './watchdog-port.ts';
