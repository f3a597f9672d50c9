import type { z } from 'zod';
import type { Sender } from '../../runtime/index.ts';

/**
 * The tool contract every tool source shares: hand-written tools, actors used as tools
 * (`actorTool`), MCP servers' tools (`mcpTools`) and A2A agents (`a2aAgent`). An agent sends
 * `input` to the model as JSON Schema, validates the model's arguments against it, then calls
 * `run`. Keep this shape stable: several modules build on it.
 */
export interface Tool<I = unknown, O = unknown> {
  /** What the model calls it: 1–64 of [A-Za-z0-9_-] (the common subset of model APIs). */
  readonly name: string;
  readonly description: string;
  /** Arguments schema: sent to the model as JSON Schema, checked before `run`. */
  readonly input: z.ZodType<I>;
  /** A tool that needs a human's approval before it runs (see approval gates). */
  readonly needsApproval?: boolean;
  run(args: I, ctx: ToolContext): Promise<O> | O;
}

/** What a tool sees of the run that called it. */
export interface ToolContext {
  /** Aborted when the run's deadline passes or the agent stops. */
  readonly signal: AbortSignal;
  /** Absolute deadline of the run, epoch ms. */
  readonly deadline: number;
  /** Path of the agent calling the tool. */
  readonly agent: string;
  /** The model's id for this call. */
  readonly callId: string;
  /**
   * The calling agent's way to reach other actors (its context): actor tools ask through it,
   * so the run's deadline and trace travel with the call. Absent outside an agent.
   */
  readonly sender?: Sender;
}

/** A tool of any argument type, as a list of tools holds them. */
// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list needs an open argument type.
export type AnyTool = Tool<any, unknown>;

export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
