import { z } from 'zod';
import { InvalidArgument } from '../../runtime/index.ts';
import { TOOL_NAME, type Tool, type ToolContext } from './tool.ts';

/** What `tool({...})` takes: the Tool contract, with `input` any zod schema. */
export interface ToolSpec<S extends z.ZodType, O> {
  readonly name: string;
  readonly description: string;
  readonly input: S;
  readonly needsApproval?: boolean;
  run(args: z.output<S>, ctx: ToolContext): Promise<O> | O;
}

/**
 * Declare a tool: checked here once (name, description, schema), so a tool the model could
 * not call never reaches an agent. The agent validates arguments against `input` before `run`.
 */
export function tool<S extends z.ZodType, O>(spec: ToolSpec<S, O>): Tool<z.output<S>, O> {
  if (typeof spec !== 'object' || spec === null)
    throw new InvalidArgument('tool needs a spec object');
  if (typeof spec.name !== 'string' || !TOOL_NAME.test(spec.name)) {
    throw new InvalidArgument(
      `tool name must be 1-64 characters of A-Z a-z 0-9 _ - (got ${JSON.stringify(spec.name)})`,
    );
  }
  if (typeof spec.description !== 'string' || spec.description.trim() === '') {
    throw new InvalidArgument(`tool ${spec.name}: description must say what it does`);
  }
  if (!(spec.input instanceof z.ZodType)) {
    throw new InvalidArgument(`tool ${spec.name}: input must be a zod schema`);
  }
  if (typeof spec.run !== 'function')
    throw new InvalidArgument(`tool ${spec.name}: run must be a function`);
  return Object.freeze({
    name: spec.name,
    description: spec.description,
    input: spec.input as z.ZodType<z.output<S>>,
    ...(spec.needsApproval ? { needsApproval: true } : {}),
    run: spec.run,
  });
}
