// troupe's public API: the only module examples and users import.
// Systems started through the public API run `start.process` children as OS processes (the
// watchdog needs nothing here: it is a kernel service, on in every system).
import './deploy/system-defaults.ts';

export {
  type ActorToolOptions,
  type AgentDef,
  type AgentSpec,
  type AgentStats,
  type AnthropicOptions,
  type AnyTool,
  actorTool,
  agentTool,
  anthropic,
  type BudgetLimits,
  type BudgetUsage,
  type ChatMessage,
  DEFAULT_PRICES,
  defineAgent,
  hashOf,
  type Memory,
  type MemoryOptions,
  type Model,
  type ModelDelta,
  ModelError,
  type ModelRequest,
  type ModelResponse,
  type OpenAICompatibleOptions,
  openAICompatible,
  type PriceTable,
  type ScriptedModel,
  type ScriptStep,
  type SubtreeBudget,
  scriptedModel,
  subtreeBudget,
  type Tool,
  type ToolCall,
  type ToolContext,
  tool,
} from './actors/agents/index.ts';
export {
  type Alert,
  type AlertRule,
  type Alerts,
  type AlertsOptions,
  DEFAULT_RULES as DEFAULT_ALERT_RULES,
  type Signal as AlertSignal,
  startAlerts,
  verifyWebhook,
} from './actors/alerts/index.ts';
export {
  ApprovalDeniedError,
  type ApprovalGateDef,
  type ApprovalRecord,
  ApprovalRequest,
  ApprovalStore,
  approvalGate,
  approvalsBucket,
  Decision as ApprovalDecision,
  openApprovalBoard,
  withApproval,
} from './actors/approvals/index.ts';
export {
  type Board,
  type BoardChange,
  type BoardEntry,
  BoardError,
  fileBoard,
  memoryBoard,
  modify,
  natsBoard,
  RevisionConflictError,
} from './actors/board/index.ts';
export {
  type BridgeHandle,
  type BridgeOptions,
  type BridgeProtocol,
  initIdentity as initMeshIdentity,
  startBridge,
} from './actors/bridge/index.ts';
// A2A and MCP are a subpath (`troupe/interop`): their SDKs' types need DOM-like globals that a
// plain Node project's tsc lacks, so users who do not use them never type-check them.
export {
  type AuditLedger,
  type AuditLedgerOptions,
  attachAuditSink,
  decodeAuditBatch,
  LedgerActor,
  type LedgerAlert,
  startAuditLedger,
  verifyLedger,
  WitnessActor,
} from './actors/ledger/index.ts';
export {
  BidAsk,
  CapabilityCard,
  type DecisionProof,
  DecisionProofError,
  fanOut,
  GatherFailedError,
  InvalidPlanError,
  LoopExhaustedError,
  loop,
  type Member,
  NoPeerError,
  NoRouteError,
  type PatternDef,
  Plan,
  peerNetwork,
  pipeline,
  proveDecision,
  publishCard,
  RunAsk,
  type RunProtocol,
  recordTeam,
  router,
  type StepPolicy,
  supervisorTeam,
  type TeamRecord,
  Triage,
  Verdict,
  withdrawCard,
} from './actors/patterns/index.ts';
export {
  AgentProcessLauncher,
  type ProcessLauncherOptions,
  processLauncher,
  renderNatsConfig,
  secret,
  serveNats,
} from './actors/process/index.ts';
export { SecretStore } from './actors/secrets/index.ts';

export {
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
} from './actors/telemetry/index.ts';
export { Watchdog } from './actors/watchdog/index.ts';
export { renderTree } from './deploy/tree-render.ts';
export { defineTroupe, type TroupeModule } from './deploy/troupe-module.ts';
export * from './runtime/index.ts';
// The tree rows every node answers with, for tools that watch a running system (dashboard/).
export { TreeRow as TreeRowSchema, treeSubject } from './runtime/remote/control-protocol.ts';
export type { TreeRow } from './runtime/remote/index.ts';
