import type { z } from 'zod';
import { deadlineSignal, releaseDeadline } from '../../runtime/deadline-signal.ts';
import type { ActorContext } from '../../runtime/index.ts';
import { type BudgetMeter, costOf, type PriceTable, type SubtreeBudget } from './budget.ts';
import { ModelError } from './errors.ts';
import { hashOf } from './hash.ts';
import {
  type ChatMessage,
  collect,
  type Model,
  type ModelResponse,
  type OutputSpec,
  type ToolCall,
  type ToolResultMessage,
  type ToolSpec,
} from './model.ts';
import type { AnyTool } from './tool.ts';

/** An agent definition, checked and with its JSON Schemas built once. */
export interface AgentPlan {
  readonly type: string;
  readonly model: Model;
  /** The system message: instructions, plus the output schema when the output is not text. */
  readonly system: ChatMessage;
  readonly tools: ReadonlyMap<string, AnyTool>;
  readonly toolSpecs: readonly ToolSpec[];
  readonly output: z.ZodType;
  readonly outputSpec: OutputSpec | undefined;
  readonly outputSchemaText: string;
  readonly prices: PriceTable;
  readonly maxRepairs: number;
  readonly maxSteps: number;
  readonly stream: boolean;
}

export type RunOutcome =
  | { readonly kind: 'answered'; readonly output: unknown }
  /** The run's deadline (the asker's) passed: the model request was aborted, nothing more runs. */
  | { readonly kind: 'deadline'; readonly afterMs: number };

export interface RunState {
  readonly meter: BudgetMeter;
  readonly subtrees: readonly SubtreeBudget[];
  /** Messages this run added (the input, answers, tool results, repair prompts). */
  readonly fresh: ChatMessage[];
  steps: number;
}

function describeIssues(e: z.ZodError): string {
  return e.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** The text of an answer without a Markdown code fence around it. */
function unfence(text: string): string {
  const m = /^\s*```[A-Za-z0-9_-]*\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return m ? m[1]! : text;
}

export function parseOutput(
  schema: z.ZodType,
  text: string,
): { ok: true; value: unknown } | { ok: false; error: string } {
  let json: unknown;
  let jsonError: string | null = null;
  try {
    json = JSON.parse(unfence(text));
  } catch (err) {
    jsonError = (err as Error).message;
  }
  if (jsonError === null) {
    const r = schema.safeParse(json);
    if (r.success) return { ok: true, value: r.data };
    // A text output: the answer itself, not its JSON reading.
    const t = schema.safeParse(text);
    if (t.success) return { ok: true, value: t.data };
    return { ok: false, error: describeIssues(r.error) };
  }
  const t = schema.safeParse(text);
  if (t.success) return { ok: true, value: t.data };
  return { ok: false, error: `the answer is not JSON (${jsonError})` };
}

function earliest(...ts: number[]): number {
  let d = 0;
  for (const t of ts) if (t > 0 && (d === 0 || t < d)) d = t;
  return d;
}

function overBudget(run: RunState, more: number | null): string | null {
  const now = Date.now();
  const why = more === null ? run.meter.beforeModelCall(now) : run.meter.afterTools(more, now);
  if (why !== null) return why;
  for (const s of run.subtrees) {
    const w = more === null ? s.meter.beforeModelCall(now) : s.meter.afterTools(more, now);
    if (w !== null) return `subtree ${s.path}: ${w}`;
  }
  return null;
}

function spent(ctx: ActorContext, run: RunState, why: string): never {
  ctx.audit('budget.exceeded', { reason: why, step: run.steps });
  return ctx.fail(`budget: ${why}`);
}

/**
 * One run: messages → model → tool calls (in parallel) → results → … until an answer that
 * parses against the output schema. Budgets are checked before every model call; an answer
 * that does not parse gets the error back for `maxRepairs` turns, then the run fails through
 * `ctx.fail`, which the supervisor counts like a crash.
 */
export async function runLoop(
  plan: AgentPlan,
  ctx: ActorContext,
  conversation: ChatMessage[],
  run: RunState,
): Promise<RunOutcome> {
  const askDeadline = ctx.deadline;
  let repairs = 0;
  const onRetry = (i: {
    attempt: number;
    status: number | null;
    delayMs: number;
    reason: string;
  }) => ctx.audit('model.retry', { step: run.steps, ...i });
  for (;;) {
    if (run.steps >= plan.maxSteps) {
      ctx.fail(`agent ${plan.type}: no final answer after ${plan.maxSteps} model calls`);
    }
    const why = overBudget(run, null);
    if (why !== null) spent(ctx, run, why);
    let deadline = earliest(askDeadline, run.meter.wallDeadline);
    for (const s of run.subtrees) deadline = earliest(deadline, s.meter.wallDeadline);
    const step = ++run.steps;
    const t0 = performance.now();
    let res: ModelResponse;
    try {
      const req = {
        messages: conversation,
        tools: plan.toolSpecs,
        ...(plan.outputSpec ? { output: plan.outputSpec } : {}),
        signal: ctx.signal,
        deadline,
        onRetry,
      };
      res = await (plan.stream ? collect(plan.model.stream(req)) : plan.model.complete(req));
    } catch (err) {
      const ms = Math.round(performance.now() - t0);
      ctx.audit('model.call', {
        model: plan.model.id,
        step,
        outcome: err instanceof ModelError ? err.kind : 'error',
        error: (err as Error).message,
        latencyMs: ms,
        promptHash: hashOf(conversation),
      });
      if (
        err instanceof ModelError &&
        err.kind === 'aborted' &&
        !ctx.signal.aborted &&
        deadline > 0
      ) {
        // Our deadline aborted it: the asker's (the run ends, nothing failed), or a wall-time
        // budget's (the run failed). Timers may fire a millisecond early: decide by which it was.
        if (deadline === askDeadline) {
          return { kind: 'deadline', afterMs: Math.max(0, Date.now() - askDeadline) };
        }
        const mine = run.meter.wallDeadline === deadline;
        const why =
          overBudget(run, null) ??
          (mine
            ? `wall time ${Date.now() - run.meter.startedAt} ms of ${run.meter.limits.wallMs} ms`
            : `subtree ${run.subtrees.find((b) => b.meter.wallDeadline === deadline)?.path}: wall time`);
        spent(ctx, run, why);
      }
      throw err;
    }
    const latencyMs = Math.round(performance.now() - t0);
    const cost = costOf(plan.prices, res.model, res.usage);
    run.meter.addModelCall(res.usage.inputTokens, res.usage.outputTokens, cost);
    for (const s of run.subtrees)
      s.meter.addModelCall(res.usage.inputTokens, res.usage.outputTokens, cost);
    ctx.audit('model.call', {
      model: res.model,
      step,
      outcome: 'ok',
      inputTokens: res.usage.inputTokens,
      outputTokens: res.usage.outputTokens,
      costUsd: cost,
      latencyMs,
      finishReason: res.finishReason,
      toolCalls: res.toolCalls.length,
      promptHash: hashOf(conversation),
      answerHash: hashOf(res.message),
    });
    ctx.heartbeat();
    conversation.push(res.message);
    run.fresh.push(res.message);

    if (res.toolCalls.length > 0) {
      const w = overBudget(run, res.toolCalls.length);
      if (w !== null) spent(ctx, run, w);
      const results = await Promise.all(
        res.toolCalls.map((c) => callTool(plan, ctx, c, deadline, step)),
      );
      for (const r of results) {
        run.meter.addToolCall(r.failed);
        for (const s of run.subtrees) s.meter.addToolCall(r.failed);
        conversation.push(r.message);
        run.fresh.push(r.message);
      }
      ctx.heartbeat();
      continue;
    }

    const parsed = parseOutput(plan.output, res.message.content);
    if (parsed.ok) return { kind: 'answered', output: parsed.value };
    const error =
      res.finishReason === 'length'
        ? `the answer was cut off (length); ${parsed.error}`
        : parsed.error;
    ctx.audit('output.invalid', { step, repairs, error });
    if (repairs >= plan.maxRepairs) {
      ctx.fail(`invalid output after ${repairs} repair turn${repairs === 1 ? '' : 's'}: ${error}`);
    }
    repairs++;
    const fix: ChatMessage = {
      role: 'user',
      content: `Your answer does not match the required output: ${error}. Answer again with only a value matching this JSON Schema: ${plan.outputSchemaText}`,
    };
    conversation.push(fix);
    run.fresh.push(fix);
  }
}

function errorContent(type: string, message: string, extra?: Record<string, unknown>): string {
  return JSON.stringify({ error: { type, message, ...extra } });
}

/**
 * One tool call. Never throws: an unknown tool, arguments that are not JSON or fail the
 * schema, and a tool that throws all become a structured error the model reads, and a failure
 * the budget counts.
 */
async function callTool(
  plan: AgentPlan,
  ctx: ActorContext,
  call: ToolCall,
  deadline: number,
  step: number,
): Promise<{ message: ToolResultMessage; failed: boolean }> {
  const t0 = performance.now();
  const t = plan.tools.get(call.name);
  let outcome: 'ok' | 'error' | 'invalid_args' | 'unknown_tool';
  let content: string;
  let error: string | null = null;
  if (t === undefined) {
    outcome = 'unknown_tool';
    error = `no tool named ${JSON.stringify(call.name)}; tools: ${[...plan.tools.keys()].join(', ') || 'none'}`;
    content = errorContent('UnknownTool', error);
  } else {
    let args: unknown;
    let argsError: string | null = null;
    try {
      args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch (err) {
      argsError = `arguments are not JSON: ${(err as Error).message}`;
    }
    const parsed = argsError === null ? t.input.safeParse(args) : null;
    if (parsed === null || !parsed.success) {
      outcome = 'invalid_args';
      error = argsError ?? describeIssues(parsed!.error);
      content = errorContent('InvalidArguments', error);
    } else {
      try {
        const signal = deadline > 0 ? deadlineSignal(ctx.signal, deadline) : ctx.signal;
        let out: unknown;
        try {
          out = await t.run(parsed.data, {
            signal,
            deadline,
            agent: ctx.self.path,
            callId: call.id,
            sender: ctx,
          });
        } finally {
          releaseDeadline(signal);
        }
        outcome = 'ok';
        content = typeof out === 'string' ? out : (JSON.stringify(out) ?? 'null');
      } catch (err) {
        outcome = 'error';
        const e = err instanceof Error ? err : new Error(String(err));
        error = e.message;
        content = errorContent(e.name || 'Error', e.message);
      }
    }
  }
  ctx.audit('tool.call', {
    name: call.name,
    callId: call.id,
    step,
    argsHash: hashOf(call.arguments),
    outcome,
    latencyMs: Math.round(performance.now() - t0),
    ...(error === null ? { resultHash: hashOf(content) } : { error }),
  });
  return {
    message: {
      role: 'tool',
      callId: call.id,
      name: call.name,
      content,
      ...(outcome === 'ok' ? {} : { isError: true }),
    },
    failed: outcome !== 'ok',
  };
}
