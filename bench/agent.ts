// The agent loop beside LangGraph.js and the OpenAI Agents SDK, same fake model and same tool:
// a model that answers at once with one tool call per step (STEPS steps, then a final answer),
// and a tool that adds two numbers. A step is one model call plus one tool call. Also heap
// bytes per idle agent (after one run each).

import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage, ToolMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { tool as lcTool } from '@langchain/core/tools';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import {
  Agent as OAAgent,
  type Model as OAModel,
  type ModelRequest as OAModelRequest,
  type ModelResponse as OAModelResponse,
  tool as oaTool,
  Runner,
  Usage,
} from '@openai/agents-core';
import { z } from 'zod';
import {
  type ActorRef,
  ActorSystem,
  type AuditSink,
  defineAgent,
  type ProtocolOf,
  scriptedModel,
  tool,
} from '../index.ts';
import { type Bench, type BenchResult, compared, tick } from './types.ts';

declare const gc: () => void;

/** Tool steps per run. */
const STEPS = 10;
/** Runs per sample, per framework. */
const RUNS = { troupe: 400, langgraph: 40, openai: 40 };
const ROUNDS = 3;
const IDLE = 10_000;

const Args = z.object({ a: z.number(), b: z.number() });
const Answer = z.object({ sum: z.number() });
const add = ({ a, b }: { a: number; b: number }) => ({ sum: a + b });

// ---- troupe ----------------------------------------------------------------------------

/** The fake model's rule, the same everywhere: a tool call until STEPS results, then answer. */
function troupeModel() {
  return scriptedModel(
    [
      (req) => {
        let results = 0;
        for (const m of req.messages) if (m.role === 'tool') results++;
        return results < STEPS
          ? { toolCalls: [{ name: 'add', args: { a: results, b: 1 } }] }
          : JSON.stringify({ sum: results });
      },
    ],
    { loop: true, record: false },
  );
}

const troupeAgent = (type: string) =>
  defineAgent({
    type,
    model: troupeModel(),
    instructions: 'Add numbers with the add tool.',
    tools: [tool({ name: 'add', description: 'Add two numbers', input: Args, run: add })],
    output: Answer,
  });

/** Audit events go nowhere: the figures measure the loop, not an in-memory event list. */
const discard: AuditSink = { emit() {}, flush: async () => {}, close: async () => {} };

async function troupeSteps(): Promise<number> {
  const sys = await ActorSystem.start({ name: 'bench', logLevel: 'silent', audit: discard });
  const A = troupeAgent('adder');
  const ref: ActorRef<ProtocolOf<typeof A>> = sys.spawn(A, { name: 'adder' });
  await sys.ask(ref, 'run', { input: 'warm up' }, { timeout: 60_000 });
  const t0 = performance.now();
  for (let i = 0; i < RUNS.troupe; i++) {
    const r = await sys.ask(ref, 'run', { input: 'add' }, { timeout: 60_000 });
    if (r.sum !== STEPS) throw new Error(`troupe answered ${JSON.stringify(r)}`);
  }
  const rate = (RUNS.troupe * STEPS) / ((performance.now() - t0) / 1000);
  await sys.shutdown();
  return rate;
}

async function troupeIdleBytes(): Promise<number> {
  const sys = await ActorSystem.start({ name: 'bench', logLevel: 'silent', audit: discard });
  const A = defineAgent({
    type: 'idle',
    model: scriptedModel(['{"sum":1}'], { loop: true, record: false }),
    instructions: 'Add numbers with the add tool.',
    tools: [tool({ name: 'add', description: 'Add two numbers', input: Args, run: add })],
    output: Answer,
  });
  await tick();
  gc();
  const before = process.memoryUsage().heapUsed;
  const refs: ActorRef<ProtocolOf<typeof A>>[] = [];
  for (let i = 0; i < IDLE; i++) refs.push(sys.spawn(A, { name: `a${i}` }));
  // Each agent works once, then sits idle.
  await Promise.all(refs.map((r) => sys.ask(r, 'run', { input: 'x' }, { timeout: 60_000 })));
  refs.length = 0;
  await tick();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / IDLE;
  await sys.shutdown({ timeoutMs: 30_000 });
  return bytes;
}

// ---- LangGraph.js ----------------------------------------------------------------------

class InstantChatModel extends BaseChatModel {
  private calls = 0;
  _llmType(): string {
    return 'instant';
  }
  override bindTools(): this {
    return this;
  }
  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    let results = 0;
    for (const m of messages) if (ToolMessage.isInstance(m)) results++;
    const id = `call_${++this.calls}`;
    const message =
      results < STEPS
        ? new AIMessage({
            content: '',
            tool_calls: [{ name: 'add', args: { a: results, b: 1 }, id, type: 'tool_call' }],
          })
        : new AIMessage({ content: JSON.stringify({ sum: results }) });
    return {
      generations: [{ text: typeof message.content === 'string' ? message.content : '', message }],
    };
  }
}

async function langgraphSteps(): Promise<number> {
  const agent = createReactAgent({
    llm: new InstantChatModel({}),
    tools: [
      lcTool(async (args: { a: number; b: number }) => JSON.stringify(add(args)), {
        name: 'add',
        description: 'Add two numbers',
        schema: Args,
      }),
    ],
    prompt: 'Add numbers with the add tool.',
  });
  const once = async () => {
    const out = await agent.invoke(
      { messages: [{ role: 'user', content: 'add' }] },
      { recursionLimit: 100 },
    );
    const last = out.messages.at(-1)!;
    const r = Answer.parse(JSON.parse(String(last.content)));
    if (r.sum !== STEPS) throw new Error(`langgraph answered ${JSON.stringify(r)}`);
  };
  await once();
  const t0 = performance.now();
  for (let i = 0; i < RUNS.langgraph; i++) await once();
  return (RUNS.langgraph * STEPS) / ((performance.now() - t0) / 1000);
}

// ---- OpenAI Agents SDK (agents-core) ---------------------------------------------------

class InstantOAModel implements OAModel {
  private calls = 0;
  async getResponse(req: OAModelRequest): Promise<OAModelResponse> {
    let results = 0;
    if (Array.isArray(req.input)) {
      for (const item of req.input)
        if ((item as { type?: string }).type === 'function_call_result') results++;
    }
    const usage = new Usage({ requests: 1, inputTokens: 1, outputTokens: 1, totalTokens: 2 });
    if (results < STEPS) {
      return {
        usage,
        output: [
          {
            type: 'function_call',
            callId: `call_${++this.calls}`,
            name: 'add',
            arguments: JSON.stringify({ a: results, b: 1 }),
            status: 'completed',
          },
        ],
      };
    }
    return {
      usage,
      output: [
        {
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: JSON.stringify({ sum: results }) }],
        },
      ],
    };
  }
  // biome-ignore lint/correctness/useYield: the bench never streams.
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not streamed in this bench');
  }
}

async function openaiSteps(): Promise<number> {
  const agent = new OAAgent({
    name: 'adder',
    instructions: 'Add numbers with the add tool.',
    model: new InstantOAModel(),
    tools: [
      oaTool({ name: 'add', description: 'Add two numbers', parameters: Args, execute: add }),
    ],
    outputType: Answer,
  });
  const runner = new Runner({ tracingDisabled: true });
  const once = async () => {
    const r = await runner.run(agent, 'add', { maxTurns: STEPS + 5 });
    if ((r.finalOutput as { sum: number }).sum !== STEPS)
      throw new Error('openai agents answered wrong');
  };
  await once();
  const t0 = performance.now();
  for (let i = 0; i < RUNS.openai; i++) await once();
  return (RUNS.openai * STEPS) / ((performance.now() - t0) / 1000);
}

// ---- the figures -----------------------------------------------------------------------

const bench: Bench = {
  names: ['agent.step', 'agent.step.openaiAgents', 'agent.bytesPerIdleAgent'],
  async run(): Promise<BenchResult[]> {
    const mine: number[] = [];
    const lg: number[] = [];
    const oa: number[] = [];
    // Interleaved, so every side sees the same machine noise.
    for (let r = 0; r < ROUNDS; r++) {
      mine.push(await troupeSteps());
      lg.push(await langgraphSteps());
      oa.push(await openaiSteps());
      gc();
    }
    const bytes: number[] = [];
    for (let r = 0; r < 3; r++) bytes.push(await troupeIdleBytes());
    const notes = `${STEPS} steps per run (1 instant model call + 1 tool call each, then a final answer); median of ${ROUNDS}`;
    const idle = bytes.sort((a, b) => a - b)[1]!;
    return [
      compared('agent.step', 'steps/s', mine, '@langchain/langgraph createReactAgent', lg, {
        notes,
      }),
      compared('agent.step.openaiAgents', 'steps/s', mine, '@openai/agents-core Runner', oa, {
        notes,
      }),
      {
        name: 'agent.bytesPerIdleAgent',
        unit: 'bytes',
        value: idle,
        peer: null,
        peerValue: null,
        ratio: null,
        notes: `heap delta after gc / ${IDLE} agents, each idle after one run; target ≤ 4096; median of 3`,
      },
    ];
  },
};
export default bench;
