import type { FinishReason, ModelResponse, ToolCall, Usage } from '../model.ts';

/** An adapter's whole answer: the assistant message carries the tool calls only when there are some. */
export function modelResponse(
  text: string,
  toolCalls: ToolCall[],
  rest: { usage: Usage; finishReason: FinishReason; model: string },
): ModelResponse {
  return {
    message: { role: 'assistant', content: text, ...(toolCalls.length > 0 ? { toolCalls } : {}) },
    toolCalls,
    ...rest,
  };
}
