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

export const AnthropicOptionsSchema = z
  .object({
    /** Default: ANTHROPIC_API_KEY. Never logged. */
    apiKey: z.string().optional(),
    /** Default: TROUPE_MODEL. */
    model: z.string().min(1).optional(),
    /** Default https://api.anthropic.com (the adapter appends /v1/messages). */
    baseURL: z.string().url().optional(),
    /** Required by the API; default 4096. */
    maxTokens: z.number().int().positive().default(4096),
    temperature: z.number().min(0).max(1).optional(),
    /** The `anthropic-version` header (default 2023-06-01). */
    version: z.string().default('2023-06-01'),
    headers: z.record(z.string(), z.string()).optional(),
    ...RetryOptionFields,
  })
  .strict();
export type AnthropicOptions = z.input<typeof AnthropicOptionsSchema>;

const Block = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }),
  z.object({ type: z.literal('thinking') }).loose(),
  z.object({ type: z.literal('redacted_thinking') }).loose(),
]);
const Usage = z.object({
  input_tokens: z.number().int().min(0),
  output_tokens: z.number().int().min(0),
});
const Message = z.object({
  type: z.literal('message'),
  role: z.literal('assistant'),
  model: z.string(),
  content: z.array(Block),
  stop_reason: z.string().nullable(),
  usage: Usage,
});
const StreamEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message_start'),
    message: z.object({ model: z.string(), usage: Usage.partial() }),
  }),
  z.object({
    type: z.literal('content_block_start'),
    index: z.number().int().min(0),
    content_block: Block,
  }),
  z.object({
    type: z.literal('content_block_delta'),
    index: z.number().int().min(0),
    delta: z.discriminatedUnion('type', [
      z.object({ type: z.literal('text_delta'), text: z.string() }),
      z.object({ type: z.literal('input_json_delta'), partial_json: z.string() }),
      z.object({ type: z.literal('thinking_delta') }).loose(),
      z.object({ type: z.literal('signature_delta') }).loose(),
    ]),
  }),
  z.object({ type: z.literal('content_block_stop'), index: z.number().int().min(0) }),
  z.object({
    type: z.literal('message_delta'),
    delta: z.object({ stop_reason: z.string().nullish() }),
    usage: z
      .object({ output_tokens: z.number().int().min(0) })
      .partial()
      .nullish(),
  }),
  z.object({ type: z.literal('message_stop') }),
  z.object({ type: z.literal('ping') }),
  z.object({
    type: z.literal('error'),
    error: z.object({ type: z.string(), message: z.string() }),
  }),
]);

export function stopReasonOf(r: string | null | undefined): FinishReason {
  switch (r) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
      return 'length';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other';
  }
}

function parseInput(args: string): unknown {
  try {
    return args.trim() === '' ? {} : JSON.parse(args);
  } catch {
    // The API wants an object; keep what the model sent so it can see its own mistake.
    return { _unparsed: args };
  }
}

/**
 * Our messages as the Messages API wants them: system apart, tool results as `tool_result`
 * blocks in one user turn, consecutive same-role turns merged (the API requires alternation).
 */
export function toAnthropic(messages: readonly ChatMessage[]): {
  system: string;
  messages: { role: 'user' | 'assistant'; content: unknown[] }[];
} {
  const system: string[] = [];
  const out: { role: 'user' | 'assistant'; content: unknown[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: unknown[]): void => {
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        system.push(m.content);
        break;
      case 'user':
        push('user', [{ type: 'text', text: m.content }]);
        break;
      case 'assistant': {
        const blocks: unknown[] = m.content ? [{ type: 'text', text: m.content }] : [];
        for (const c of m.toolCalls ?? []) {
          blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: parseInput(c.arguments) });
        }
        push('assistant', blocks.length > 0 ? blocks : [{ type: 'text', text: '' }]);
        break;
      }
      case 'tool':
        push('user', [
          {
            type: 'tool_result',
            tool_use_id: m.callId,
            content: m.content,
            ...(m.isError ? { is_error: true } : {}),
          },
        ]);
        break;
    }
  }
  return { system: system.join('\n\n'), messages: out };
}

/**
 * Anthropic's Messages API with tool use and streaming, as a small fetch client (see
 * openAICompatible for why not the SDK). An output schema goes to the model in the agent's
 * instructions; the agent validates the answer.
 */
export function anthropic(options: AnthropicOptions = {}): Model {
  const o = parseOptions(AnthropicOptionsSchema, options, 'anthropic');
  const model = o.model ?? process.env.TROUPE_MODEL;
  if (!model) throw new InvalidArgument('anthropic needs a model (option `model` or TROUPE_MODEL)');
  const apiKey = o.apiKey ?? process.env.ANTHROPIC_API_KEY ?? '';
  const url = `${(o.baseURL ?? 'https://api.anthropic.com').replace(/\/+$/, '')}/v1/messages`;
  const headers: Record<string, string> = { 'anthropic-version': o.version, ...o.headers };
  if (apiKey) headers['x-api-key'] = apiKey;
  const api = modelEndpoint('Anthropic', url, headers, o);

  const body = (req: ModelRequest, stream: boolean): Record<string, unknown> => {
    const { system, messages } = toAnthropic(req.messages);
    const b: Record<string, unknown> = { model, max_tokens: o.maxTokens, messages };
    if (system) b.system = system;
    if (req.tools.length > 0) {
      b.tools = req.tools.map((t) => ({
        name: t.name,
        description: t.description,
        input_schema: t.parameters,
      }));
    }
    if (o.temperature !== undefined) b.temperature = o.temperature;
    if (stream) b.stream = true;
    return b;
  };

  async function complete(req: ModelRequest): Promise<ModelResponse> {
    const m = await api.complete(Message, body(req, false), req);
    let text = '';
    const toolCalls: ToolCall[] = [];
    for (const b of m.content) {
      if (b.type === 'text') text += b.text;
      else if (b.type === 'tool_use') {
        toolCalls.push({ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) });
      }
    }
    return modelResponse(text, toolCalls, {
      usage: { inputTokens: m.usage.input_tokens, outputTokens: m.usage.output_tokens },
      finishReason: stopReasonOf(m.stop_reason),
      model: m.model,
    });
  }

  async function* stream(req: ModelRequest): AsyncGenerator<ModelDelta> {
    const { body: events, signal } = await api.open(body(req, true), req);
    let text = '';
    // Content blocks by index: the tool_use ones become tool calls, in order.
    const blocks: (
      | { kind: 'text' }
      | { kind: 'tool'; id: string; name: string; json: string; seq: number }
    )[] = [];
    let toolSeq = 0;
    let stop: string | null | undefined = null;
    let answered = model!;
    let inputTokens = 0;
    let outputTokens = 0;
    let stopped = false;
    try {
      for await (const ev of sseEvents(events)) {
        const json = api.eventJson('stream event', ev.data);
        const parsed = StreamEvent.safeParse(json);
        if (!parsed.success) throw api.malformed(`stream event ${ev.event}`, parsed.error);
        const e = parsed.data;
        switch (e.type) {
          case 'message_start':
            answered = e.message.model;
            inputTokens = e.message.usage.input_tokens ?? 0;
            outputTokens = e.message.usage.output_tokens ?? 0;
            break;
          case 'content_block_start':
            if (e.content_block.type === 'tool_use') {
              const seq = toolSeq++;
              blocks[e.index] = {
                kind: 'tool',
                id: e.content_block.id,
                name: e.content_block.name,
                json: '',
                seq,
              };
              yield {
                type: 'toolCall',
                index: seq,
                id: e.content_block.id,
                name: e.content_block.name,
              };
            } else {
              blocks[e.index] = { kind: 'text' };
              if (e.content_block.type === 'text' && e.content_block.text) {
                text += e.content_block.text;
                yield { type: 'text', text: e.content_block.text };
              }
            }
            break;
          case 'content_block_delta': {
            const b = blocks[e.index];
            if (e.delta.type === 'text_delta') {
              text += e.delta.text;
              yield { type: 'text', text: e.delta.text };
            } else if (e.delta.type === 'input_json_delta') {
              if (b?.kind !== 'tool') {
                throw new ModelError(
                  'malformed',
                  `Anthropic stream: input_json_delta for block ${e.index}, not a tool_use`,
                );
              }
              b.json += e.delta.partial_json;
              yield { type: 'toolCall', index: b.seq, arguments: e.delta.partial_json };
            }
            break;
          }
          case 'message_delta':
            if (e.delta.stop_reason) stop = e.delta.stop_reason;
            if (e.usage?.output_tokens !== undefined) outputTokens = e.usage.output_tokens;
            break;
          case 'message_stop':
            stopped = true;
            break;
          case 'error':
            throw new ModelError(
              'unavailable',
              `Anthropic stream error ${e.error.type}: ${e.error.message}`,
            );
          default:
            break;
        }
        if (stopped) break;
      }
    } catch (err) {
      streamFailure(err, signal);
    }
    if (!stopped) throw new ModelError('malformed', 'Anthropic stream ended before message_stop');
    const toolCalls: ToolCall[] = [];
    for (const b of blocks) {
      if (b?.kind === 'tool')
        toolCalls.push({ id: b.id, name: b.name, arguments: b.json === '' ? '{}' : b.json });
    }
    yield {
      type: 'done',
      response: modelResponse(text, toolCalls, {
        usage: { inputTokens, outputTokens },
        finishReason: stopReasonOf(stop),
        model: answered,
      }),
    };
  }

  return { id: model, complete, stream };
}
