/**
 * The one interface an agent talks to a model through. Adapters (OpenAI-compatible chat
 * completions, Anthropic Messages, a scripted model for tests) translate it to a wire format;
 * the agent loop never sees one.
 */

/** A tool call as the model asked for it: `arguments` is the model's raw JSON text. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

export interface SystemMessage {
  readonly role: 'system';
  readonly content: string;
}
export interface UserMessage {
  readonly role: 'user';
  readonly content: string;
}
export interface AssistantMessage {
  readonly role: 'assistant';
  readonly content: string;
  readonly toolCalls?: readonly ToolCall[];
}
export interface ToolResultMessage {
  readonly role: 'tool';
  readonly callId: string;
  readonly name: string;
  readonly content: string;
  readonly isError?: boolean;
}
export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolResultMessage;

/** A tool as the model sees it: name, description, arguments as JSON Schema. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
}

/** The shape the final answer must have, as JSON Schema (sent where the API supports it). */
export interface OutputSpec {
  readonly name: string;
  readonly schema: Record<string, unknown>;
}

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** Why the model stopped: a final answer, tool calls, a length cut, a filter, or other. */
export type FinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter' | 'other';

/** A retry an adapter is about to make (429, 5xx, a dropped connection). */
export interface RetryInfo {
  readonly attempt: number;
  readonly status: number | null;
  readonly delayMs: number;
  readonly reason: string;
}

export interface ModelRequest {
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ToolSpec[];
  readonly output?: OutputSpec;
  /** Aborts the HTTP request (the agent passes its handler's signal). */
  readonly signal?: AbortSignal;
  /** Absolute deadline, epoch ms (0 or absent: none): the request is aborted when it passes. */
  readonly deadline?: number;
  /** Told before each retry, e.g. to print a progress line or record an audit event. */
  readonly onRetry?: (info: RetryInfo) => void;
}

export interface ModelResponse {
  readonly message: AssistantMessage;
  readonly toolCalls: readonly ToolCall[];
  readonly usage: Usage;
  readonly finishReason: FinishReason;
  /** The model that answered, as the API named it (for the price table and the audit). */
  readonly model: string;
}

/** What `stream` yields: text and tool-call fragments as they arrive, then the whole answer. */
export type ModelDelta =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'toolCall';
      /** Position of the call in this answer; fragments with the same index belong together. */
      readonly index: number;
      readonly id?: string;
      readonly name?: string;
      /** A fragment of the arguments' JSON text. */
      readonly arguments?: string;
    }
  | { readonly type: 'done'; readonly response: ModelResponse };

export interface Model {
  /** The model's name (the price table's key). */
  readonly id: string;
  complete(req: ModelRequest): Promise<ModelResponse>;
  stream(req: ModelRequest): AsyncIterable<ModelDelta>;
}

/** The final answer of a stream: read to its `done` delta. */
export async function collect(deltas: AsyncIterable<ModelDelta>): Promise<ModelResponse> {
  for await (const d of deltas) if (d.type === 'done') return d.response;
  throw new Error('model stream ended without a final answer');
}
