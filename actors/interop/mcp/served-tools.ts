import { randomUUID } from 'node:crypto';
import {
  type CallToolRequest,
  type CallToolResult,
  ErrorCode,
  type ListToolsResult,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { inputRequiredOf } from '../input-required.ts';
import type { ProgressListener } from '../progress.ts';
import type { ServedAgent } from '../served-agent.ts';
import { type McpToolDef, mcpToolDefs } from './tool-defs.ts';

/** What one `tools/call` needs from the transport that carries it. */
export interface ToolCallContext {
  /** The JSON-RPC id: part of the run id, so logs tie a run to its request. */
  readonly requestId: string | number;
  /** Aborted when the client cancels or goes away. */
  readonly signal: AbortSignal;
  /** Only when the caller sent a progress token. */
  readonly onProgress?: ProgressListener;
}

function result(def: McpToolDef, reply: unknown): CallToolResult {
  const structured = def.wrapsOutput ? { result: reply } : (reply as Record<string, unknown>);
  const text = typeof reply === 'string' ? reply : JSON.stringify(reply);
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

function failure(err: unknown): CallToolResult {
  const gate = inputRequiredOf(err);
  const text = gate ? `input required: ${gate.prompt}` : ((err as Error)?.message ?? String(err));
  const code = (err as { code?: unknown })?.code;
  return {
    content: [{ type: 'text', text }],
    isError: true,
    ...(typeof code === 'string' ? { _meta: { 'troupe/code': code } } : {}),
  };
}

/**
 * The served agents as MCP tools, apart from any transport: the SDK protocol server and the
 * JSON fast path both answer `tools/list` and `tools/call` here, so the two cannot drift.
 * A failing run is a tool result with `isError` (the model can read it); an unknown tool is a
 * protocol error (`InvalidParams`).
 */
export class ServedTools {
  private readonly defs: readonly McpToolDef[];
  private readonly byName: ReadonlyMap<string, McpToolDef>;
  private readonly listed: ListToolsResult;

  constructor(agents: readonly ServedAgent[]) {
    this.defs = mcpToolDefs(agents);
    this.byName = new Map(this.defs.map((d) => [d.name, d]));
    this.listed = {
      tools: this.defs.map((d) => ({
        name: d.name,
        description: d.description,
        inputSchema: d.inputSchema as { type: 'object' },
        outputSchema: d.outputSchema as { type: 'object' },
      })),
    };
  }

  list(): ListToolsResult {
    return this.listed;
  }

  async call(params: CallToolRequest['params'], ctx: ToolCallContext): Promise<CallToolResult> {
    const def = this.byName.get(params.name);
    if (!def) throw new McpError(ErrorCode.InvalidParams, `unknown tool ${params.name}`);
    const args = params.arguments ?? {};
    const request = def.wrapsInput ? args.request : args;
    try {
      const reply = await def.agent.call(def.skill, request, {
        runId: `mcp-${String(ctx.requestId)}-${randomUUID().slice(0, 8)}`,
        signal: ctx.signal,
        ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
      });
      return result(def, reply);
    } catch (err) {
      return failure(err);
    }
  }
}
