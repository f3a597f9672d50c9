import { z } from 'zod';
import { InvalidArgument } from '../../../runtime/index.ts';
import { ModelError } from '../errors.ts';
import type {
  ChatMessage,
  FinishReason,
  Model,
  ModelDelta,
  ModelRequest,
  ModelResponse,
  ToolCall,
} from '../model.ts';
import { parseOptions } from '../options.ts';
import { modelEndpoint } from './endpoint.ts';
import { RetryOptionFields, streamFailure } from './http.ts';
import { modelResponse } from './response.ts';
import { sseEvents } from './sse.ts';

export const OpenAICompatibleOptionsSchema = z
  .object({
    /** Default: TROUPE_MODEL_URL, else https://api.openai.com/v1. Ollama: http://127.0.0.1:11434/v1. */
    baseURL: z.string().url().optional(),
    /** Default: OPENAI_API_KEY; local servers need none. Never logged. */
    apiKey: z.string().optional(),
    /** Default: TROUPE_MODEL. */
    model: z.string().min(1).optional(),
    /** Send `response_format: json_schema` when the agent has an output schema (default true). */
    jsonSchema: z.boolean().optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().positive().optional(),
    /** Extra headers (e.g. OpenRouter's HTTP-Referer). */
    headers: z.record(z.string(), z.string()).optional(),
    ...RetryOptionFields,
  })
  .strict();
export type OpenAICompatibleOptions = z.input<typeof OpenAICompatibleOptionsSchema>;

// The documented response shapes, checked before anything is read from them.
const WireToolCall = z.object({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
const WireUsage = z
  .object({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) })
  .nullish();
const Completion = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({
          role: z.literal('assistant'),
          content: z.string().nullish(),
          tool_calls: z.array(WireToolCall).nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: WireUsage,
});
const Chunk = z.object({
  model: z.string().optional(),
  choices: z.array(
    z.object({
      delta: z
        .object({
          content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                index: z.number().int().min(0),
                id: z.string().nullish(),
                function: z
                  .object({ name: z.string().nullish(), arguments: z.string().nullish() })
                  .nullish(),
              }),
            )
            .nullish(),
        })
        .nullish(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: WireUsage,
});

export function finishReasonOf(r: string | null | undefined): FinishReason {
  switch (r) {
    case 'stop':
      return 'stop';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

/** Our messages in the chat completions shape. */
export function toOpenAIMessages(messages: readonly ChatMessage[]): unknown[] {
  return messages.map((m) => {
    switch (m.role) {
      case 'system':
      case 'user':
        return { role: m.role, content: m.content };
      case 'assistant':
        return m.toolCalls && m.toolCalls.length > 0
          ? {
              role: 'assistant',
              content: m.content === '' ? null : m.content,
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: 'function',
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : { role: 'assistant', content: m.content };
      default:
        return { role: 'tool', tool_call_id: m.callId, content: m.content };
    }
  });
}

/**
 * The OpenAI chat completions API, as OpenAI, Ollama, vLLM, llama.cpp server, LM Studio and
 * OpenRouter speak it. A small fetch client (no SDK): the agent loop needs one endpoint, and
 * owning retries, deadlines and stream parsing keeps them the same across both adapters.
 */
export function openAICompatible(options: OpenAICompatibleOptions = {}): Model {
  const o = parseOptions(OpenAICompatibleOptionsSchema, options, 'openAICompatible');
  const baseURL = (
    o.baseURL ??
    process.env.TROUPE_MODEL_URL ??
    'https://api.openai.com/v1'
  ).replace(/\/+$/, '');
  const model = o.model ?? process.env.TROUPE_MODEL;
  if (!model) {
    throw new InvalidArgument('openAICompatible needs a model (option `model` or TROUPE_MODEL)');
  }
  const apiKey = o.apiKey ?? process.env.OPENAI_API_KEY ?? '';
  const url = `${baseURL}/chat/completions`;
  const headers: Record<string, string> = { ...o.headers };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const api = modelEndpoint('chat completions', url, headers, o);

  const body = (req: ModelRequest, stream: boolean): Record<string, unknown> => {
    const b: Record<string, unknown> = { model, messages: toOpenAIMessages(req.messages) };
    if (req.tools.length > 0) {
      b.tools = req.tools.map((t) => ({
        type: 'function',
        function: { name: t.name, description: t.description, parameters: t.parameters },
      }));
    }
    if (req.output && o.jsonSchema !== false) {
      b.response_format = {
        type: 'json_schema',
        json_schema: { name: req.output.name, schema: req.output.schema },
      };
    }
    if (o.temperature !== undefined) b.temperature = o.temperature;
    if (o.maxTokens !== undefined) b.max_completion_tokens = o.maxTokens;
    if (stream) {
      b.stream = true;
      b.stream_options = { include_usage: true };
    }
    return b;
  };

  async function complete(req: ModelRequest): Promise<ModelResponse> {
    const c = await api.complete(Completion, body(req, false), req);
    const choice = c.choices[0]!;
    const toolCalls: ToolCall[] = (choice.message.tool_calls ?? []).map((t) => ({
      id: t.id,
      name: t.function.name,
      arguments: t.function.arguments,
    }));
    return modelResponse(choice.message.content ?? '', toolCalls, {
      usage: {
        inputTokens: c.usage?.prompt_tokens ?? 0,
        outputTokens: c.usage?.completion_tokens ?? 0,
      },
      finishReason: finishReasonOf(choice.finish_reason),
      model: c.model ?? model!,
    });
  }

  async function* stream(req: ModelRequest): AsyncGenerator<ModelDelta> {
    const { body: events, signal } = await api.open(body(req, true), req);
    let text = '';
    const calls: { id: string; name: string; arguments: string }[] = [];
    let finish: string | null | undefined = null;
    let usage = { inputTokens: 0, outputTokens: 0 };
    let answered = model!;
    let done = false;
    try {
      for await (const ev of sseEvents(events)) {
        if (ev.data === '[DONE]') {
          done = true;
          break;
        }
        const json = api.eventJson('stream chunk', ev.data);
        if (typeof json === 'object' && json !== null && 'error' in json) {
          const e = (json as { error?: { message?: unknown } }).error;
          throw new ModelError(
            'unavailable',
            `model stream error: ${String(e?.message ?? 'unknown')}`,
          );
        }
        const parsed = Chunk.safeParse(json);
        if (!parsed.success) throw api.malformed('stream chunk', parsed.error);
        const c = parsed.data;
        if (c.model) answered = c.model;
        if (c.usage) {
          usage = { inputTokens: c.usage.prompt_tokens, outputTokens: c.usage.completion_tokens };
        }
        for (const ch of c.choices) {
          if (ch.finish_reason) finish = ch.finish_reason;
          const d = ch.delta;
          if (!d) continue;
          if (d.content) {
            text += d.content;
            yield { type: 'text', text: d.content };
          }
          for (const t of d.tool_calls ?? []) {
            const slot = (calls[t.index] ??= { id: '', name: '', arguments: '' });
            if (t.id) slot.id = t.id;
            if (t.function?.name) slot.name += t.function.name;
            if (t.function?.arguments) slot.arguments += t.function.arguments;
            yield {
              type: 'toolCall',
              index: t.index,
              ...(t.id ? { id: t.id } : {}),
              ...(t.function?.name ? { name: t.function.name } : {}),
              ...(t.function?.arguments ? { arguments: t.function.arguments } : {}),
            };
          }
        }
      }
    } catch (err) {
      streamFailure(err, signal);
    }
    if (!done && finish === null) {
      throw new ModelError('malformed', 'chat completions stream ended before [DONE]');
    }
    const toolCalls: ToolCall[] = calls.filter((c) => c !== undefined);
    if (toolCalls.some((c) => c.id === '' || c.name === '')) {
      throw new ModelError('malformed', 'chat completions stream: a tool call without id or name');
    }
    yield {
      type: 'done',
      response: modelResponse(text, toolCalls, {
        usage,
        finishReason: finishReasonOf(finish),
        model: answered,
      }),
    };
  }

  return { id: model, complete, stream };
}
