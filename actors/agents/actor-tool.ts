import { z } from 'zod';
import {
  type AskBody,
  type AskReply,
  type AskType,
  InvalidArgument,
  type Protocol,
  type Ref,
} from '../../runtime/index.ts';
import { tool } from './define-tool.ts';
import type { Tool } from './tool.ts';

export interface ActorToolOptions<S extends z.ZodType> {
  readonly name: string;
  readonly description: string;
  /** The arguments the model sends; by default they are the ask's body as is. */
  readonly input: S;
  /** Build the ask's body from the arguments (default: the arguments). */
  readonly body?: (args: z.output<S>) => unknown;
  /** Used when the run has no deadline (default 60 s). */
  readonly timeoutMs?: number;
}

/**
 * A tool that asks an actor, here or on any node (the ask goes over NATS when the actor lives
 * elsewhere): how agents call agents. The run's deadline and trace travel with the ask; a
 * failed ask (the actor crashed, timed out, rejected the body) is a failed tool call.
 */
export function actorTool<P extends Protocol, K extends AskType<P>, S extends z.ZodType>(
  ref: Ref<P>,
  type: K,
  opts: ActorToolOptions<S>,
): Tool<z.output<S>, AskReply<P, K>> {
  if (typeof ref !== 'object' || ref === null)
    throw new InvalidArgument('actorTool needs an actor ref');
  if (typeof type !== 'string' || type === '')
    throw new InvalidArgument('actorTool needs an ask type');
  const timeout = opts.timeoutMs ?? 60_000;
  return tool({
    name: opts.name,
    description: opts.description,
    input: opts.input,
    async run(args, ctx) {
      if (!ctx.sender)
        throw new InvalidArgument(`actor tool ${opts.name} runs only inside an agent`);
      const body = (opts.body ? opts.body(args) : args) as AskBody<P, K>;
      const when = ctx.deadline > 0 ? { deadline: ctx.deadline } : { timeout };
      return ctx.sender.ask(ref, type, body, when);
    },
  });
}

/** An agent as a tool: the model sends `{ input }`, the other agent's `run` answers. */
export function agentTool<P extends Protocol>(
  ref: Ref<P>,
  opts: { name: string; description: string; input?: z.ZodType; timeoutMs?: number },
): Tool<{ input: unknown }, unknown> {
  return actorTool(ref as Ref, 'run', {
    name: opts.name,
    description: opts.description,
    input: z.object({ input: opts.input ?? z.string() }),
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
  }) as Tool<{ input: unknown }, unknown>;
}
