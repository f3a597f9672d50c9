export { type A2AAuth, A2AAuthSchema } from './a2a/auth.ts';
export { agentCard } from './a2a/card.ts';
export {
  type A2AAgent,
  A2AAgentActor,
  type A2AAgentOptions,
  A2ATaskError,
  a2aAgent,
  type RunOptions,
} from './a2a/client.ts';
export { ActorExecutor } from './a2a/executor.ts';
export {
  A2A_NATS_BINDING,
  A2AEndpoint,
  type A2AEndpointRef,
  A2ANatsClient,
  a2aNatsEndpoint,
  type JsonRpcResponse,
  serveA2AOverNats,
} from './a2a/nats-binding.ts';
export { type A2AServer, type A2AServerOptions, a2aHandler, serveA2A } from './a2a/server.ts';
export { InputRequired, inputRequiredOf } from './input-required.ts';
export {
  type McpCallResult,
  McpConnection,
  type McpConnectionRef,
  type McpHttpOptions,
  type McpHttpServing,
  type McpServeOptions,
  McpServerSpec,
  type McpServing,
  type McpToolDef,
  McpToolError,
  type McpToolInfo,
  type McpToolsOptions,
  mcpServer,
  mcpServerChild,
  mcpToolDefs,
  mcpTools,
  StdioChildTransport,
  type StdioCommand,
  serveMcpHttp,
  serveMcpOn,
  serveMcpStdio,
} from './mcp/index.ts';
export {
  InteropMeta,
  type ProgressListener,
  ProgressReport,
  reportProgress,
} from './progress.ts';
export {
  type CallOptions,
  type ServableDef,
  ServedAgent,
  type ServeTarget,
  type Skill,
} from './served-agent.ts';
