/*
 * The telemetry port: what the kernel tells metrics and tracing, and nothing more. The kernel
 * holds one `TelemetryPort | null` per system; when it is null (the default) each call site
 * costs a single null check. actors/telemetry implements the port (Prometheus counters,
 * OpenTelemetry spans); no SDK is loaded here.
 */

/** Counters kept per actor type: plain numbers the kernel bumps, read when metrics are scraped. */
export interface TypeStats {
  /** Messages handed to a handler (tells and asks). */
  received: number;
  /** Messages this type's actors sent (tells and asks). */
  sent: number;
}

/** The parts of a running actor telemetry reads. */
export interface TelemetryActor {
  readonly path: string;
  readonly def: { readonly type: string };
  /** Bumped when the actor crashes or restarts: a handler from before counts as failed. */
  readonly gen: number;
  /** The type's counters, cached on the actor by the port on first use. */
  tstats: TypeStats | null;
}

/** The parts of a message telemetry reads; `trace` may be replaced by the handling span's. */
export interface TelemetryMessage {
  readonly kind: number;
  readonly type: string;
  trace: string | null;
  readonly deadline: number;
}

/** What the kernel calls. Every method must be cheap and must never throw. */
export interface TelemetryPort {
  /**
   * Time one handler run in `timeMask + 1` per actor (its first, then every so many): the
   * kernel calls `handling` only for those and for messages that carry a trace, so a message
   * that is neither costs a mask test.
   */
  readonly timeMask: number;
  /**
   * A traced message, or one due to be timed (`due`), is about to run in `actor`'s handler.
   * Returns a token for `handled`, or null when nothing is measured for it.
   */
  handling(actor: TelemetryActor, msg: TelemetryMessage, due: boolean): object | null;
  /** `actor` handed `n` tells and asks to its handler in one run (counted once per run). */
  received(actor: TelemetryActor, n: number): void;
  /** The handler of a message `handling` gave a token for returned (or its promise settles). */
  handled(token: object, actor: TelemetryActor, pending: Promise<unknown> | undefined): void;
  /** `actor` sent a tell or an ask. */
  sent(actor: TelemetryActor): void;
  /** The traceparent for a message sent while handling `parent` (which has a trace). */
  childTrace(parent: TelemetryMessage): string;
  /** An ask left this process's caller; the port may watch how it settles. */
  asked(type: string, reply: Promise<unknown>): void;
}

/** A span around work inside a handler (a model call, a tool call), from `TelemetryHooks.span`. */
export interface WorkSpan {
  /** The traceparent to send with calls made inside this span (null when not sampled). */
  readonly traceparent: string | null;
  setAttribute(key: string, value: string | number | boolean): void;
  /** End the span; an error marks it failed. */
  end(error?: unknown): void;
}

/** One model call's usage, reported by an agent for the per-agent token and cost metrics. */
export interface ModelUsage {
  /** The agent's actor path. */
  agent: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** Cost in US dollars, when the agent knows it. */
  costUsd?: number;
}

/** What agents and built-in actors may call; available from `telemetryFor(system, node)`. */
export interface TelemetryHooks {
  /** Start a span named `name` under `traceparent` (usually `ctx.traceparent`). */
  span(
    name: string,
    traceparent: string | null,
    attributes?: Record<string, string | number | boolean>,
  ): WorkSpan;
  modelUsage(usage: ModelUsage): void;
  toolCall(agent: string, tool: string, outcome: 'ok' | 'error'): void;
}

const hooks = new Map<string, TelemetryHooks>();

const NO_SPAN: WorkSpan = {
  traceparent: null,
  setAttribute() {},
  end() {},
};

/** Hooks that do nothing: what `telemetryFor` gives when no telemetry runs for that node. */
export const NO_TELEMETRY: TelemetryHooks = {
  span: (_n, traceparent) => (traceparent === null ? NO_SPAN : { ...NO_SPAN, traceparent }),
  modelUsage() {},
  toolCall() {},
};

/** Register (or with null, remove) the hooks of one node's telemetry. */
export function setTelemetryHooks(system: string, node: string, h: TelemetryHooks | null): void {
  if (h === null) hooks.delete(`${system}/${node}`);
  else hooks.set(`${system}/${node}`, h);
}

/** The telemetry hooks of a node in this process (from a handler: `ctx.system`, `ctx.node`). */
export function telemetryFor(system: string, node: string): TelemetryHooks {
  return hooks.get(`${system}/${node}`) ?? NO_TELEMETRY;
}
