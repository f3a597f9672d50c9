import { z } from 'zod';
import {
  type ActorRef,
  InvalidArgument,
  type ProtocolOf,
  type Sender,
  TroupeError,
} from '../../../runtime/index.ts';
import type { AnyTool, ToolContext } from '../../agents/tool.ts';
import { TOOL_NAME } from '../../agents/tool.ts';
import type { McpCallResult, McpConnection, McpToolInfo } from './mcp-connection.ts';

export type McpConnectionRef = ActorRef<ProtocolOf<typeof McpConnection>>;

/** An MCP tool answered with `isError`: its text is what the model should read. */
export class McpToolError extends TroupeError {
  readonly code = 'McpToolError';
  constructor(
    readonly tool: string,
    readonly text: string,
  ) {
    super(`MCP tool ${tool} failed: ${text}`);
  }
  override get detail(): unknown {
    return { tool: this.tool, text: this.text };
  }
}

export interface McpToolsOptions {
  /** Prepended to each tool name (`<prefix>_<name>`), to keep several servers apart. */
  readonly prefix?: string;
  /** Deadline for listing the tools, ms (default 30 s). */
  readonly timeoutMs?: number;
  /** Keep only these tools, by the server's names. */
  readonly only?: readonly string[];
}

const Options = z
  .object({
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/)
      .optional(),
    timeoutMs: z.number().int().positive().max(600_000).optional(),
    only: z.array(z.string().min(1)).optional(),
  })
  .strict();

function textOf(r: McpCallResult): string {
  return r.content
    .map((c) =>
      typeof c === 'object' && c !== null && (c as { type?: unknown }).type === 'text'
        ? String((c as { text?: unknown }).text)
        : JSON.stringify(c),
    )
    .join('\n');
}

function schemaOf(json: Record<string, unknown>): z.ZodType<Record<string, unknown>> {
  try {
    return z.fromJSONSchema(json) as z.ZodType<Record<string, unknown>>;
  } catch {
    // A schema zod cannot read: check only that the arguments are an object; the server checks the rest.
    return z.record(z.string(), z.unknown());
  }
}

function toolOf(sender: Sender, ref: McpConnectionRef, info: McpToolInfo, name: string): AnyTool {
  return {
    name,
    description: info.description ?? `MCP tool ${info.name}`,
    input: schemaOf(info.inputSchema),
    run: async (args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> => {
      const res = await sender.ask(
        ref,
        'call',
        { name: info.name, arguments: args },
        { deadline: ctx.deadline },
      );
      if (res.isError) throw new McpToolError(info.name, textOf(res));
      return res.structuredContent ?? textOf(res);
    },
  };
}

/**
 * The tools of an MCP server, as agent tools (the shared Tool contract). The server runs as
 * a supervised `McpConnection` actor (spawn it, or put `mcpServerChild(spec)` in a
 * supervisor); each call is an ask to it with the run's deadline. A result with `isError`
 * throws McpToolError; otherwise the tool returns the structured content, or the text.
 */
export async function mcpTools(
  sender: Sender,
  ref: McpConnectionRef,
  opts: McpToolsOptions = {},
): Promise<AnyTool[]> {
  const o = Options.safeParse(opts);
  if (!o.success)
    throw new InvalidArgument(
      `mcpTools: ${o.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const list = await sender.ask(ref, 'list', {}, { timeout: opts.timeoutMs ?? 30_000 });
  const tools: AnyTool[] = [];
  for (const info of list) {
    if (opts.only && !opts.only.includes(info.name)) continue;
    const name = (opts.prefix ? `${opts.prefix}_${info.name}` : info.name)
      .replace(/[^A-Za-z0-9_-]/g, '_')
      .slice(0, 64);
    if (!TOOL_NAME.test(name))
      throw new InvalidArgument(
        `MCP tool name ${JSON.stringify(info.name)} cannot be made a tool name`,
      );
    tools.push(toolOf(sender, ref, info, name));
  }
  return tools;
}
