// The Anthropic adapter against a real HTTP server on loopback that speaks the Messages API
// (https://docs.anthropic.com/en/api/messages): tool_use blocks, tool_result turns, and the
// streaming events (message_start … message_stop).
import { describe, expect, it } from 'vitest';
import { anthropic, type ChatMessage, collect, ModelError } from '../../actors/agents/index.ts';
import {
  messages,
  modelServers,
  parisAndRome,
  weather,
  weatherCallResponse,
} from '../support/weather-chat.ts';

const serve = modelServers();
const MODEL = 'claude-sonnet-4-20250514';

const ev = (type: string, body: Record<string, unknown>) => ({
  event: type,
  data: JSON.stringify({ type, ...body }),
});

describe('anthropic', () => {
  it('sends the documented request, reads tool_use blocks, sends tool_result turns', async () => {
    const srv = await serve([
      {
        json: {
          id: 'msg_01',
          type: 'message',
          role: 'assistant',
          model: MODEL,
          content: [
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { city: 'Rome' } },
          ],
          stop_reason: 'tool_use',
          stop_sequence: null,
          usage: { input_tokens: 30, output_tokens: 25 },
        },
      },
      {
        json: {
          id: 'msg_02',
          type: 'message',
          role: 'assistant',
          model: MODEL,
          content: [{ type: 'text', text: 'Both sunny.' }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 60, output_tokens: 4 },
        },
      },
    ]);
    const m = anthropic({
      apiKey: 'sk-ant-test',
      model: 'claude-sonnet-4-20250514',
      baseURL: srv.url,
    });
    const r = await m.complete({ messages, tools: [weather] });
    expect(r).toEqual(
      weatherCallResponse(
        'Let me check.',
        parisAndRome('toolu_a', 'toolu_b'),
        { inputTokens: 30, outputTokens: 25 },
        MODEL,
      ),
    );
    const req = srv.seen[0]!;
    expect(req.url).toBe('/v1/messages');
    expect(req.headers['x-api-key']).toBe('sk-ant-test');
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({
      model: MODEL,
      max_tokens: 4096,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] }],
      tools: [
        { name: 'get_weather', description: 'Weather in a city', input_schema: weather.parameters },
      ],
    });

    const next: ChatMessage[] = [
      ...messages,
      r.message,
      { role: 'tool', callId: 'toolu_a', name: 'get_weather', content: '{"c":21}' },
      { role: 'tool', callId: 'toolu_b', name: 'get_weather', content: 'boom', isError: true },
    ];
    const r2 = await m.complete({ messages: next, tools: [weather] });
    expect(r2.finishReason).toBe('stop');
    expect(r2.message.content).toBe('Both sunny.');
    // Tool results go back as one user turn of tool_result blocks (the API wants alternation).
    expect(srv.seen[1]!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: '{"c":21}' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: 'boom', is_error: true },
        ],
      },
    ]);
  });

  it('reads the streaming events: text and tool_use deltas, usage, stop reason', async () => {
    const srv = await serve([
      {
        sse: [
          ev('message_start', {
            message: {
              id: 'msg_1',
              type: 'message',
              role: 'assistant',
              content: [],
              model: MODEL,
              stop_reason: null,
              stop_sequence: null,
              usage: { input_tokens: 25, output_tokens: 1 },
            },
          }),
          ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
          ev('ping', {}),
          ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Let me ' } }),
          ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'check.' } }),
          ev('content_block_stop', { index: 0 }),
          ev('content_block_start', {
            index: 1,
            content_block: { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: {} },
          }),
          ev('content_block_delta', {
            index: 1,
            delta: { type: 'input_json_delta', partial_json: '' },
          }),
          ev('content_block_delta', {
            index: 1,
            delta: { type: 'input_json_delta', partial_json: '{"city": ' },
          }),
          ev('content_block_delta', {
            index: 1,
            delta: { type: 'input_json_delta', partial_json: '"Paris"}' },
          }),
          ev('content_block_stop', { index: 1 }),
          ev('message_delta', {
            delta: { stop_reason: 'tool_use', stop_sequence: null },
            usage: { output_tokens: 42 },
          }),
          ev('message_stop', {}),
        ],
        split: 11,
      },
    ]);
    const m = anthropic({ apiKey: 'k', model: MODEL, baseURL: srv.url });
    const deltas = [];
    for await (const d of m.stream({ messages, tools: [weather] })) deltas.push(d);
    expect(srv.seen[0]!.body.stream).toBe(true);
    expect(
      deltas.filter((d) => d.type === 'text').map((d) => (d as { text: string }).text),
    ).toEqual(['Let me ', 'check.']);
    const done = deltas.at(-1)!;
    expect(done).toEqual({
      type: 'done',
      response: weatherCallResponse(
        'Let me check.',
        [['toolu_a', '{"city": "Paris"}']],
        { inputTokens: 25, outputTokens: 42 },
        MODEL,
      ),
    });
  });

  it('an error event, a cut stream and an undocumented body are errors, typed', async () => {
    const srv = await serve([
      { sse: [ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } })] },
      {
        sse: [
          ev('message_start', {
            message: { model: MODEL, usage: { input_tokens: 1, output_tokens: 1 } },
          }),
        ],
      },
      { json: { type: 'message', content: 'nope' } },
    ]);
    const m = anthropic({ apiKey: 'k', model: MODEL, baseURL: srv.url });
    const a = await collect(m.stream({ messages, tools: [] })).catch((e: unknown) => e);
    expect(a).toMatchObject({ kind: 'unavailable' });
    expect((a as Error).message).toContain('Overloaded');
    const b = await collect(m.stream({ messages, tools: [] })).catch((e: unknown) => e);
    expect(b).toMatchObject({ kind: 'malformed' });
    const c = await m.complete({ messages, tools: [] }).catch((e: unknown) => e);
    expect(c).toBeInstanceOf(ModelError);
    expect(c).toMatchObject({ kind: 'malformed' });
  });

  it('retries 529 overloaded, honouring retry-after', async () => {
    const srv = await serve([
      {
        status: 529,
        headers: { 'retry-after': '0' },
        json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      },
      {
        json: {
          id: 'm',
          type: 'message',
          role: 'assistant',
          model: MODEL,
          content: [{ type: 'text', text: 'ok' }],
          stop_reason: 'end_turn',
          usage: { input_tokens: 1, output_tokens: 1 },
        },
      },
    ]);
    const m = anthropic({ apiKey: 'k', model: MODEL, baseURL: srv.url });
    const r = await m.complete({ messages, tools: [] });
    expect(r.message.content).toBe('ok');
    expect(srv.seen).toHaveLength(2);
  });
});
