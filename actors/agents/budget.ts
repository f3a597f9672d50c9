import { z } from 'zod';
import { InvalidArgument } from '../../runtime/index.ts';
import { parseOptions } from './options.ts';

const Count = z.number().int().nonnegative();

/** Limits of a budget; any subset. An agent's apply to each run, a subtree's to its lifetime. */
export const BudgetLimitsSchema = z
  .object({
    inputTokens: Count,
    outputTokens: Count,
    /** Input and output together. */
    tokens: Count,
    /** US dollars, by the price table. */
    costUsd: z.number().nonnegative(),
    toolCalls: Count,
    /** Tool calls that threw, timed out or got arguments that failed their schema. */
    toolFailures: Count,
    modelCalls: Count,
    wallMs: Count,
  })
  .partial()
  .strict();
export type BudgetLimits = z.input<typeof BudgetLimitsSchema>;

export interface BudgetUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly toolCalls: number;
  readonly toolFailures: number;
  readonly modelCalls: number;
  readonly wallMs: number;
}

/** Dollars per million tokens. */
export interface ModelPrice {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
}
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * List prices (USD per million tokens) of a few common models when this was written. Prices
 * change: pass your own table (`prices` on the agent or subtree budget) to override or extend
 * it. A model in no table costs 0, so a cost limit only binds models it knows.
 */
export const DEFAULT_PRICES: PriceTable = Object.freeze({
  'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10 },
  'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  'claude-sonnet-4': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-3-5-haiku': { inputPerMTok: 0.8, outputPerMTok: 4 },
  'claude-opus-4': { inputPerMTok: 15, outputPerMTok: 75 },
});

/** The price of a model: its exact name, else the longest table key it starts with (dated names). */
export function priceOf(prices: PriceTable, model: string): ModelPrice | null {
  const exact = prices[model];
  if (exact) return exact;
  let best: string | null = null;
  for (const k of Object.keys(prices)) {
    if (model.startsWith(k) && (best === null || k.length > best.length)) best = k;
  }
  return best === null ? null : prices[best]!;
}

export function costOf(
  prices: PriceTable,
  model: string,
  usage: { inputTokens: number; outputTokens: number },
): number {
  const p = priceOf(prices, model);
  if (p === null) return 0;
  return (usage.inputTokens * p.inputPerMTok + usage.outputTokens * p.outputPerMTok) / 1e6;
}

/** Counts spending against limits. Plain object: an agent keeps one per run. */
export class BudgetMeter {
  inputTokens = 0;
  outputTokens = 0;
  costUsd = 0;
  toolCalls = 0;
  toolFailures = 0;
  modelCalls = 0;

  constructor(
    readonly limits: z.output<typeof BudgetLimitsSchema>,
    readonly startedAt = Date.now(),
  ) {}

  addModelCall(inputTokens: number, outputTokens: number, costUsd: number): void {
    this.modelCalls++;
    this.inputTokens += inputTokens;
    this.outputTokens += outputTokens;
    this.costUsd += costUsd;
  }

  addToolCall(failed: boolean): void {
    this.toolCalls++;
    if (failed) this.toolFailures++;
  }

  /**
   * Why another model call may not be made, or null. Tokens, cost and wall time are spent when
   * they reach their limit; calls and failures when they pass it (the limit is how many may happen).
   */
  beforeModelCall(now = Date.now()): string | null {
    const l = this.limits;
    if (l.modelCalls !== undefined && this.modelCalls >= l.modelCalls)
      return `model calls ${this.modelCalls} of ${l.modelCalls}`;
    if (l.inputTokens !== undefined && this.inputTokens >= l.inputTokens)
      return `input tokens ${this.inputTokens} of ${l.inputTokens}`;
    if (l.outputTokens !== undefined && this.outputTokens >= l.outputTokens)
      return `output tokens ${this.outputTokens} of ${l.outputTokens}`;
    if (l.tokens !== undefined && this.inputTokens + this.outputTokens >= l.tokens)
      return `tokens ${this.inputTokens + this.outputTokens} of ${l.tokens}`;
    if (l.costUsd !== undefined && this.costUsd >= l.costUsd)
      return `cost $${this.costUsd.toFixed(6)} of $${l.costUsd}`;
    return this.afterTools(0, now);
  }

  /** Why `more` tool calls may not run now (tool calls or failures over, wall time spent), or null. */
  afterTools(more: number, now = Date.now()): string | null {
    const l = this.limits;
    if (l.toolCalls !== undefined && this.toolCalls + more > l.toolCalls)
      return `tool calls ${this.toolCalls + more} of ${l.toolCalls}`;
    if (l.toolFailures !== undefined && this.toolFailures > l.toolFailures)
      return `tool failures ${this.toolFailures} of ${l.toolFailures}`;
    if (l.wallMs !== undefined && now - this.startedAt >= l.wallMs)
      return `wall time ${now - this.startedAt} ms of ${l.wallMs} ms`;
    return null;
  }

  /** The absolute time the wall-time limit ends (0: none). */
  get wallDeadline(): number {
    return this.limits.wallMs === undefined ? 0 : this.startedAt + this.limits.wallMs;
  }

  usage(now = Date.now()): BudgetUsage {
    return {
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      costUsd: this.costUsd,
      toolCalls: this.toolCalls,
      toolFailures: this.toolFailures,
      modelCalls: this.modelCalls,
      wallMs: now - this.startedAt,
    };
  }
}

export function parseBudget(limits: unknown, what: string): z.output<typeof BudgetLimitsSchema> {
  return parseOptions(BudgetLimitsSchema, limits ?? {}, what);
}

/**
 * A budget shared by every agent under one supervisor (or any actor path): each model and tool
 * call of an agent at `path` or below counts against it, and each agent checks it before its
 * model calls. Its wall time runs from creation. It lives in this process: agents of the
 * subtree running on other nodes keep their own per-run budgets.
 */
export class SubtreeBudget {
  readonly meter: BudgetMeter;
  constructor(
    readonly node: string,
    readonly path: string,
    limits: BudgetLimits,
  ) {
    this.meter = new BudgetMeter(parseBudget(limits, `subtree budget ${path}`));
  }
  usage(): BudgetUsage {
    return this.meter.usage();
  }
  /** Stop applying this budget. */
  close(): void {
    if (registry.get(key(this.node, this.path)) === this)
      registry.delete(key(this.node, this.path));
  }
}

const registry = new Map<string, SubtreeBudget>();
const key = (node: string, path: string): string => `${node} ${path}`;
const NONE: readonly SubtreeBudget[] = Object.freeze([]);

/**
 * Put a budget on the subtree at `path` (a supervisor's path) of a running system: it is
 * shared by all agents under it. Spent, each of them fails its next model call with
 * `budget: …`, so the supervisor's intensity decides: restart, escalate, give up.
 */
export function subtreeBudget(
  system: { readonly node: string },
  path: string,
  limits: BudgetLimits,
): SubtreeBudget {
  if (typeof path !== 'string' || !/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(path)) {
    throw new InvalidArgument(
      `subtree budget needs an actor path like team/coders (got ${JSON.stringify(path)})`,
    );
  }
  const k = key(system.node, path);
  if (registry.has(k))
    throw new InvalidArgument(`subtree ${path} already has a budget; close it first`);
  const b = new SubtreeBudget(system.node, path, limits);
  registry.set(k, b);
  return b;
}

/** The subtree budgets an agent at `path` falls under, outermost first. */
export function subtreeBudgetsOf(node: string, path: string): readonly SubtreeBudget[] {
  if (registry.size === 0) return NONE;
  const out: SubtreeBudget[] = [];
  let i = -1;
  for (;;) {
    i = path.indexOf('/', i + 1);
    const prefix = i < 0 ? path : path.slice(0, i);
    const b = registry.get(key(node, prefix));
    if (b) out.push(b);
    if (i < 0) return out;
  }
}
