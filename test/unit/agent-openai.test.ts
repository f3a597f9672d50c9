// The OpenAI-compatible adapter against a real HTTP server on loopback that speaks the chat
// completions wire format (https://platform.openai.com/docs/api-reference/chat): plain answers,
// tool calls, parallel tool calls, SSE chunks with tool-call deltas, 429 with retry-after,
// 5xx, bad bodies, and a deadline that aborts the request.
import { describe, expect, it } from 'vitest';
import {
  type ChatMessage,
  collect,
  type ModelDelta,
  ModelError,
  openAICompatible,
  type RetryInfo,
} from '../../actors/agents/index.ts';
import { eventually } from '../support/processes.ts';
import {
  messages,
  modelServers,
  parisAndRome,
  weather,
  weatherCallResponse,
  weatherCalls,
} from '../support/weather-chat.ts';

const serve = modelServers();
const fast = { backoff: { initialMs: 1, maxMs: 5 } };

function completion(message: Record<string, unknown>, finish: string, usage = [12, 3]) {
  return {
    id: 'chatcmpl-abc',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [
      { index: 0, message: { refusal: null, ...message }, logprobs: null, finish_reason: finish },
    ],
    usage: {
      prompt_tokens: usage[0],
      completion_tokens: usage[1],
      total_tokens: usage[0]! + usage[1]!,
    },
  };
}

function chunk(
  delta: Record<string, unknown> | null,
  finish: string | null = null,
  usage?: number[],
) {
  return JSON.stringify({
    id: 'chatcmpl-abc',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-mini-2024-07-18',
    choices: delta === null ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(usage
      ? { usage: { prompt_tokens: usage[0], completion_tokens: usage[1], total_tokens: 0 } }
      : {}),
  });
}

/** A tool call on the wire: chat completions wrap name and arguments in `function`. */
const wireCall = (id: string, args: string) => ({
  id,
  type: 'function',
  function: { name: 'get_weather', arguments: args },
});

describe('openAICompatible', () => {
  it('sends the documented request and reads a plain answer', async () => {
    const srv = await serve([
      { json: completion({ role: 'assistant', content: 'Sunny.' }, 'stop') },
    ]);
    const m = openAICompatible({
      baseURL: `${srv.url}/v1`,
      apiKey: 'sk-test',
      model: 'gpt-4o-mini',
    });
    const r = await m.complete({
      messages,
      tools: [weather],
      output: { name: 'answer', schema: { type: 'string' } },
    });
    expect(r).toEqual({
      message: { role: 'assistant', content: 'Sunny.' },
      toolCalls: [],
      usage: { inputTokens: 12, outputTokens: 3 },
      finishReason: 'stop',
      model: 'gpt-4o-mini-2024-07-18',
    });
    const req = srv.seen[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris and Rome?' },
      ],
      tools: [{ type: 'function', function: weather }],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', schema: { type: 'string' } },
      },
    });
  });

  it('reads parallel tool calls and sends tool results back in the documented shape', async () => {
    const calls = parisAndRome('call_a', 'call_b').map(([id, args]) => wireCall(id, args));
    const srv = await serve([
      { json: completion({ role: 'assistant', content: null, tool_calls: calls }, 'tool_calls') },
      { json: completion({ role: 'assistant', content: 'Both sunny.' }, 'stop') },
    ]);
    const m = openAICompatible({ baseURL: srv.url, model: 'gpt-4o-mini', apiKey: '' });
    const r = await m.complete({ messages, tools: [weather] });
    expect(r.finishReason).toBe('tool_calls');
    expect(r.toolCalls).toEqual(weatherCalls(parisAndRome('call_a', 'call_b')));
    expect(srv.seen[0]!.headers.authorization).toBeUndefined();
    const next: ChatMessage[] = [
      ...messages,
      r.message,
      { role: 'tool', callId: 'call_a', name: 'get_weather', content: '{"c":21}' },
      { role: 'tool', callId: 'call_b', name: 'get_weather', content: '{"c":25}', isError: false },
    ];
    await m.complete({ messages: next, tools: [weather] });
    expect(srv.seen[1]!.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris and Rome?' },
      { role: 'assistant', content: null, tool_calls: calls },
      { role: 'tool', tool_call_id: 'call_a', content: '{"c":21}' },
      { role: 'tool', tool_call_id: 'call_b', content: '{"c":25}' },
    ]);
  });

  it('streams SSE chunks with tool-call deltas and usage', async () => {
    const srv = await serve([
      {
        sse: [
          { data: chunk({ role: 'assistant', content: '' }) },
          { data: chunk({ content: 'Checking' }) },
          { data: chunk({ tool_calls: [{ index: 0, ...wireCall('call_a', '') }] }) },
          { data: chunk({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }) },
          { data: chunk({ tool_calls: [{ index: 1, ...wireCall('call_b', '{"city":') }] }) },
          { data: chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Paris"}' } }] }) },
          { data: chunk({ tool_calls: [{ index: 1, function: { arguments: '"Rome"}' } }] }) },
          { data: chunk({}, 'tool_calls') },
          { data: chunk(null, null, [40, 22]) },
          { data: '[DONE]' },
        ],
        split: 7,
      },
    ]);
    const m = openAICompatible({ baseURL: srv.url, model: 'gpt-4o-mini', apiKey: 'k' });
    const deltas: ModelDelta[] = [];
    for await (const d of m.stream({ messages, tools: [weather] })) deltas.push(d);
    expect(srv.seen[0]!.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(deltas.filter((d) => d.type === 'text')).toEqual([{ type: 'text', text: 'Checking' }]);
    expect(deltas.filter((d) => d.type === 'toolCall')).toHaveLength(5);
    const done = deltas.at(-1)!;
    expect(done.type).toBe('done');
    if (done.type !== 'done') return;
    expect(done.response).toEqual(
      weatherCallResponse(
        'Checking',
        parisAndRome('call_a', 'call_b'),
        { inputTokens: 40, outputTokens: 22 },
        'gpt-4o-mini-2024-07-18',
      ),
    );
  });

  it('a stream cut before [DONE] or with a bad chunk is malformed', async () => {
    const srv = await serve([
      { sse: [{ data: chunk({ content: 'Hi' }) }] },
      { sse: [{ data: '{"choices": 3}' }] },
      { sse: [{ data: 'not json' }] },
    ]);
    const m = openAICompatible({ baseURL: srv.url, model: 'x', apiKey: 'k' });
    for (let i = 0; i < 3; i++) {
      const e = await collect(m.stream({ messages, tools: [] })).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ModelError);
      expect((e as ModelError).kind).toBe('malformed');
    }
  });

  it('waits out a 429 for its retry-after, then succeeds', async () => {
    const srv = await serve([
      {
        status: 429,
        headers: { 'retry-after': '1' },
        json: { error: { message: 'Rate limit reached', type: 'requests' } },
      },
      { json: completion({ role: 'assistant', content: 'ok' }, 'stop') },
    ]);
    const m = openAICompatible({ baseURL: srv.url, model: 'x', apiKey: 'k', ...fast });
    const retries: RetryInfo[] = [];
    const r = await m.complete({ messages, tools: [], onRetry: (i) => retries.push(i) });
    expect(r.message.content).toBe('ok');
    expect(srv.seen).toHaveLength(2);
    expect(retries).toEqual([
      { attempt: 1, status: 429, delayMs: 1000, reason: 'HTTP 429: Rate limit reached' },
    ]);
  });

  it('retries a 500 with backoff, and gives up after maxRetries with the last status', async () => {
    const err500 = {
      status: 500,
      json: { error: { message: 'The server had an error' } },
    } as const;
    const srv = await serve([
      err500,
      { json: completion({ role: 'assistant', content: 'ok' }, 'stop') },
      err500,
      err500,
      err500,
    ]);
    const m = openAICompatible({
      baseURL: srv.url,
      model: 'x',
      apiKey: 'k',
      maxRetries: 2,
      ...fast,
    });
    expect((await m.complete({ messages, tools: [] })).message.content).toBe('ok');
    const e = await m.complete({ messages, tools: [] }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ModelError);
    expect(e).toMatchObject({ kind: 'unavailable', status: 500 });
    expect((e as Error).message).toContain('after 3 tries');
    expect(srv.seen).toHaveLength(5);
  });

  it('does not retry a 400 or 401, and never puts the key in the error', async () => {
    const srv = await serve([
      { status: 401, json: { error: { message: 'Incorrect API key provided' } } },
    ]);
    const m = openAICompatible({ baseURL: srv.url, model: 'x', apiKey: 'sk-secret-123', ...fast });
    const e = (await m
      .complete({ messages, tools: [] })
      .catch((err: unknown) => err)) as ModelError;
    expect(e).toMatchObject({ kind: 'rejected', status: 401 });
    expect(e.message).toContain('Incorrect API key provided');
    expect(e.message).not.toContain('sk-secret-123');
    expect(srv.seen).toHaveLength(1);
  });

  it('a body that is not JSON, or not the documented shape, is malformed', async () => {
    const srv = await serve([
      { text: '<html>bad gateway</html>' },
      { json: { choices: [] } },
      {
        json: { choices: [{ message: { role: 'assistant', content: 3 }, finish_reason: 'stop' }] },
      },
    ]);
    const m = openAICompatible({ baseURL: srv.url, model: 'x', apiKey: 'k', ...fast });
    for (let i = 0; i < 3; i++) {
      const e = await m.complete({ messages, tools: [] }).catch((err: unknown) => err);
      expect(e).toMatchObject({ name: 'ModelError', kind: 'malformed' });
    }
  });

  it('the deadline aborts the HTTP request', async () => {
    const srv = await serve([{ hang: true }]);
    const m = openAICompatible({ baseURL: srv.url, model: 'x', apiKey: 'k' });
    const e = await m
      .complete({ messages, tools: [], deadline: Date.now() + 1500 })
      .catch((err: unknown) => err);
    expect(e).toMatchObject({ name: 'ModelError', kind: 'aborted' });
    // Whatever reached the server was aborted (under load the abort may come first).
    await eventually(async () => expect(srv.aborted).toBe(srv.seen.length));
    expect(srv.seen.length).toBeLessThanOrEqual(1);
  });

  it('validates its options and needs a model', () => {
    expect(() => openAICompatible({ baseURL: 'not a url', model: 'x' })).toThrow(/baseURL/);
    expect(() => openAICompatible({ model: 'x', maxRetries: -1 })).toThrow(/maxRetries/);
    const prev = process.env.TROUPE_MODEL;
    delete process.env.TROUPE_MODEL;
    try {
      expect(() => openAICompatible({ baseURL: 'http://127.0.0.1:1' })).toThrow(/needs a model/);
    } finally {
      if (prev !== undefined) process.env.TROUPE_MODEL = prev;
    }
  });
});
