// Agents: an actor with a model loop, typed tools, structured output, budgets and memory.
export { type ActorToolOptions, actorTool, agentTool } from './actor-tool.ts';
export { parseOutput } from './agent-loop.ts';
export {
  type BudgetLimits,
  BudgetLimitsSchema,
  BudgetMeter,
  type BudgetUsage,
  costOf,
  DEFAULT_PRICES,
  type ModelPrice,
  type PriceTable,
  priceOf,
  SubtreeBudget,
  subtreeBudget,
} from './budget.ts';
export {
  type AgentDef,
  type AgentSpec,
  type AgentState,
  type AgentStats,
  AgentStatsSchema,
  defineAgent,
} from './define-agent.ts';
export { type ToolSpec as ToolDefinition, tool } from './define-tool.ts';
export { ModelError, type ModelErrorKind } from './errors.ts';
export { hashOf } from './hash.ts';
export {
  ChatMessageSchema,
  type Memory,
  type MemoryOptions,
  MemorySchema,
  type Summarize,
} from './memory.ts';
export type {
  AssistantMessage,
  ChatMessage,
  FinishReason,
  Model,
  ModelDelta,
  ModelRequest,
  ModelResponse,
  OutputSpec,
  RetryInfo,
  SystemMessage,
  ToolCall,
  ToolResultMessage,
  ToolSpec,
  Usage,
  UserMessage,
} from './model.ts';
export { collect } from './model.ts';
export { type AnthropicOptions, anthropic } from './models/anthropic.ts';
export { type RetryOptions, retryAfterMs } from './models/http.ts';
export { type OpenAICompatibleOptions, openAICompatible } from './models/openai-compatible.ts';
export {
  estimateTokens,
  type ScriptedAnswer,
  type ScriptedModel,
  type ScriptedModelOptions,
  type ScriptStep,
  scriptedModel,
} from './models/scripted.ts';
export { type SseEvent, sseEvents } from './models/sse.ts';
export { type AnyTool, TOOL_NAME, type Tool, type ToolContext } from './tool.ts';
