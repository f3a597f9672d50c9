import { z } from 'zod';
import {
  type ActorContext,
  type ActorDef,
  defineActor,
  InvalidArgument,
  Timeout,
} from '../../runtime/index.ts';
import { type AgentPlan, type RunState, runLoop } from './agent-loop.ts';
import {
  type BudgetLimits,
  BudgetMeter,
  type BudgetUsage,
  DEFAULT_PRICES,
  type PriceTable,
  parseBudget,
  subtreeBudgetsOf,
} from './budget.ts';
import { type Memory, type MemoryOptions, MemorySchema, parseMemory, remember } from './memory.ts';
import type { ChatMessage, Model, ToolSpec } from './model.ts';
import { type AnyTool, TOOL_NAME } from './tool.ts';

export interface AgentSpec<I extends z.ZodType, O extends z.ZodType> {
  /** The actor type (a subject token): sharded agents serve `troupe.<sys>.t.<type>`. */
  readonly type: string;
  readonly model: Model;
  readonly instructions: string;
  readonly tools?: readonly AnyTool[];
  /** What `run` takes as `input` (default: any JSON value); text goes to the model as is. */
  readonly input?: I;
  /** What `run` answers: the model's final answer must parse against it (JSON, or text for z.string()). */
  readonly output: O;
  /** Limits of each run; spent, the run fails with `budget: …` and supervision decides. */
  readonly budget?: BudgetLimits;
  /** Prices over DEFAULT_PRICES, USD per million tokens by model name. */
  readonly prices?: PriceTable;
  /** Keep the conversation between runs, in state (snapshots carry it across restarts). */
  readonly memory?: boolean | MemoryOptions;
  /** Turns an answer that fails `output` gets to fix itself before the run fails (default 2). */
  readonly maxRepairs?: number;
  /** Most model calls in one run (default 32). */
  readonly maxSteps?: number;
  /** Call the model through `stream` rather than `complete` (default false). */
  readonly stream?: boolean;
}

const UsageSchema = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number(),
  toolCalls: z.number(),
  toolFailures: z.number(),
  modelCalls: z.number(),
  wallMs: z.number(),
});

export const AgentStatsSchema = z.object({
  runs: z.number(),
  /** The last finished run's usage, or null before the first. */
  last: UsageSchema.nullable(),
});
export type AgentStats = z.output<typeof AgentStatsSchema>;

/** An agent's state: tiny while idle; the conversation only when memory is on. */
export interface AgentState {
  readonly memory: Memory | null;
  readonly runs: number;
  readonly last: BudgetUsage | null;
}

const Empty = z.object({}).strict();
type RunBody<I extends z.ZodType> = z.ZodObject<{ input: I }, z.core.$strict>;

export type AgentTells<I extends z.ZodType> = { input: RunBody<I> };
export type AgentAsks<I extends z.ZodType, O extends z.ZodType> = {
  run: { request: RunBody<I>; reply: O };
  stats: { request: typeof Empty; reply: typeof AgentStatsSchema };
  memory: { request: typeof Empty; reply: typeof MemorySchema };
};
export type AgentDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> = ActorDef<
  AgentState,
  void,
  AgentTells<I>,
  AgentAsks<I, O>
>;

function jsonSchemaOf(s: z.ZodType, what: string): Record<string, unknown> {
  try {
    const j = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete j.$schema;
    return j;
  } catch (cause) {
    throw new InvalidArgument(`${what}: its schema has no JSON Schema form`, { cause });
  }
}

function isText(s: z.ZodType): boolean {
  return s.safeParse('any text').success && !s.safeParse(1).success;
}

function plan<I extends z.ZodType, O extends z.ZodType>(spec: AgentSpec<I, O>): AgentPlan {
  const model = spec.model as Model | undefined;
  if (typeof model !== 'object' || model === null || typeof model.complete !== 'function') {
    throw new InvalidArgument(
      `agent ${spec.type}: model must be a Model (openAICompatible, anthropic, scriptedModel)`,
    );
  }
  if (typeof spec.instructions !== 'string') {
    throw new InvalidArgument(`agent ${spec.type}: instructions must be a string`);
  }
  if (!(spec.output instanceof z.ZodType)) {
    throw new InvalidArgument(`agent ${spec.type}: output must be a zod schema`);
  }
  if (spec.input !== undefined && !(spec.input instanceof z.ZodType)) {
    throw new InvalidArgument(`agent ${spec.type}: input must be a zod schema`);
  }
  const tools = new Map<string, AnyTool>();
  const toolSpecs: ToolSpec[] = [];
  for (const t of spec.tools ?? []) {
    if (
      typeof t !== 'object' ||
      t === null ||
      typeof t.run !== 'function' ||
      !TOOL_NAME.test(String(t.name))
    ) {
      throw new InvalidArgument(
        `agent ${spec.type}: every tool needs a valid name and run (use tool({...}))`,
      );
    }
    if (!(t.input instanceof z.ZodType)) {
      throw new InvalidArgument(`agent ${spec.type}: tool ${t.name} input must be a zod schema`);
    }
    if (tools.has(t.name))
      throw new InvalidArgument(`agent ${spec.type}: two tools named ${t.name}`);
    tools.set(t.name, t);
    toolSpecs.push({
      name: t.name,
      description: t.description,
      parameters: jsonSchemaOf(t.input, `agent ${spec.type}: tool ${t.name}`),
    });
  }
  const int = (v: unknown, d: number, what: string, max: number): number => {
    if (v === undefined) return d;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
      throw new InvalidArgument(`agent ${spec.type}: ${what} must be an integer 0..${max}`);
    }
    return v;
  };
  const text = isText(spec.output);
  const schema = jsonSchemaOf(spec.output, `agent ${spec.type}: output`);
  const schemaText = JSON.stringify(schema);
  const instructions = text
    ? spec.instructions
    : `${spec.instructions}\n\nWhen you are done, answer with only a JSON value (no prose, no code fence) matching this JSON Schema: ${schemaText}`;
  return {
    type: spec.type,
    model,
    system: { role: 'system', content: instructions },
    tools,
    toolSpecs,
    output: spec.output,
    outputSpec: text
      ? undefined
      : { name: `${spec.type.replace(/[^A-Za-z0-9_-]/g, '_')}_output`, schema },
    outputSchemaText: schemaText,
    prices: { ...DEFAULT_PRICES, ...spec.prices },
    maxRepairs: int(spec.maxRepairs, 2, 'maxRepairs', 100),
    maxSteps: int(spec.maxSteps, 32, 'maxSteps', 10_000) || 1,
    stream: spec.stream === true,
  };
}

const EMPTY_MEMORY: Memory = Object.freeze({ summary: null, messages: Object.freeze([]) });

/**
 * Declare an agent: an ordinary actor (spawn it, supervise it, shard it) whose `run` ask is the
 * model loop. A bad answer, a spent budget or a failing model is a failure its supervisor
 * handles like any other.
 */
export function defineAgent<I extends z.ZodType = z.ZodJSONSchema, O extends z.ZodType = z.ZodType>(
  spec: AgentSpec<I, O>,
): AgentDef<I, O> {
  if (typeof spec !== 'object' || spec === null)
    throw new InvalidArgument('defineAgent needs a spec object');
  const p = plan(spec);
  const budget = parseBudget(spec.budget, `agent ${spec.type}: budget`);
  const memory = parseMemory(spec.memory);
  const input = (spec.input ?? z.json()) as I;
  // Typed loosely here; AgentDef gives users the precise types.
  const body = z.object({ input }).strict() as unknown as z.ZodType<{ input: unknown }>;

  /** Run once; the new state and the outcome. */
  const once = async (s: AgentState, value: unknown, ctx: ActorContext) => {
    const run: RunState = {
      meter: new BudgetMeter(budget),
      subtrees: subtreeBudgetsOf(ctx.node, ctx.self.path),
      fresh: [],
      steps: 0,
    };
    const user: ChatMessage = {
      role: 'user',
      content: typeof value === 'string' ? value : JSON.stringify(value),
    };
    const mem = s.memory ?? EMPTY_MEMORY;
    const conversation: ChatMessage[] = [p.system];
    if (mem.summary !== null) {
      conversation.push({
        role: 'system',
        content: `Summary of the earlier conversation: ${mem.summary}`,
      });
    }
    for (const m of mem.messages) conversation.push(m);
    conversation.push(user);
    run.fresh.push(user);
    const outcome = await runLoop(p, ctx, conversation, run);
    const usage = run.meter.usage();
    let next: Memory | null = null;
    if (memory !== null && outcome.kind === 'answered') {
      const r = await remember(mem, run.fresh, memory);
      if (r.summarized > 0 || r.dropped > 0) {
        ctx.audit('memory.compacted', { summarized: r.summarized, dropped: r.dropped });
      }
      next = r.memory;
    }
    const state: AgentState = {
      memory: next ?? s.memory,
      runs: s.runs + 1,
      last: usage,
    };
    return { state, outcome, usage };
  };

  const def = defineActor({
    type: spec.type,
    state: (): AgentState => ({
      memory: memory === null ? null : EMPTY_MEMORY,
      runs: 0,
      last: null,
    }),
    tells: { input: body },
    asks: {
      run: { request: body, reply: spec.output },
      stats: { request: Empty, reply: AgentStatsSchema },
      memory: { request: Empty, reply: MemorySchema },
    },
    handle: {
      async input(s: AgentState, m: { input: unknown }, ctx: ActorContext) {
        const r = await once(s, m.input, ctx);
        if (r.outcome.kind === 'deadline')
          ctx.audit('run.deadline', { afterMs: r.outcome.afterMs });
        return r.state;
      },
      async run(s: AgentState, m: { input: unknown }, ctx) {
        const r = await once(s, m.input, ctx);
        if (r.outcome.kind === 'deadline') {
          ctx.audit('run.deadline', { afterMs: r.outcome.afterMs });
          ctx.deferReply().fail(new Timeout(ctx.self.path, 'run', r.outcome.afterMs));
        } else ctx.reply(r.outcome.output as never);
        return r.state;
      },
      stats: (s: AgentState, _m: unknown, ctx) => ctx.reply({ runs: s.runs, last: s.last }),
      memory: (s: AgentState, _m: unknown, ctx) => ctx.reply((s.memory ?? EMPTY_MEMORY) as never),
    },
    ...(memory === null
      ? {}
      : {
          snapshot: (s: AgentState) => s,
          restore: (snap: unknown): AgentState => {
            const r = z
              .object({ memory: MemorySchema.nullable(), runs: z.number(), last: z.unknown() })
              .safeParse(snap);
            if (!r.success) throw new InvalidArgument(`agent ${spec.type}: snapshot unreadable`);
            return {
              memory: r.data.memory,
              runs: r.data.runs,
              last: (r.data.last ?? null) as BudgetUsage | null,
            };
          },
        }),
  });
  return def as unknown as AgentDef<I, O>;
}
