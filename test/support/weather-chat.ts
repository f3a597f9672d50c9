// The conversation the model adapter tests replay against a loopback server: one weather tool,
// a system and a user turn, and an answer that calls the tool for Paris and Rome. Each adapter's
// wire shapes stay in its own test; what a Model answers is the same for every adapter, so it is
// built here once.
import { afterEach } from 'vitest';
import { z } from 'zod';
import type { ChatMessage, ModelResponse, ToolCall } from '../../actors/agents/index.ts';
import { type ModelServer, type Reply, startModelServer } from './model-server.ts';

export const weather = {
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: z.toJSONSchema(z.object({ city: z.string() })) as Record<string, unknown>,
};

export const messages: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Weather in Paris and Rome?' },
];

/** Model servers for one test file: `serve` starts one, each is closed after its test. */
export function modelServers(): (replies: Reply[]) => Promise<ModelServer> {
  const servers: ModelServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (replies) => {
    const s = await startModelServer(replies);
    servers.push(s);
    return s;
  };
}

/** The weather calls as a Model reports them: `[id, arguments]` each. */
export function weatherCalls(calls: readonly (readonly [string, string])[]): ToolCall[] {
  return calls.map(([id, args]) => ({ id, name: 'get_weather', arguments: args }));
}

/** A Model's answer that says `content` and calls the weather tool. */
export function weatherCallResponse(
  content: string,
  calls: readonly (readonly [string, string])[],
  usage: ModelResponse['usage'],
  model: string,
): ModelResponse {
  const toolCalls = weatherCalls(calls);
  return {
    message: { role: 'assistant', content, toolCalls },
    toolCalls,
    usage,
    finishReason: 'tool_calls',
    model,
  };
}

/** The usual pair: Paris under the first id, Rome under the second. */
export const parisAndRome = (a: string, b: string) =>
  [
    [a, '{"city":"Paris"}'],
    [b, '{"city":"Rome"}'],
  ] as const;
