import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { z } from 'zod';
import {
  type ActorContext,
  type ChildSpec,
  defineActor,
  InvalidArgument,
  TransportError,
} from '../../../runtime/index.ts';
import { StdioChildTransport } from './child-transport.ts';

export const McpServerSpec = z
  .object({
    /** Names the server in audit events and prefixes nothing: tool names stay the server's. */
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 of A-Z a-z 0-9 _ -'),
    stdio: z
      .object({
        command: z.string().min(1),
        args: z.array(z.string()).optional(),
        env: z.record(z.string(), z.string()).optional(),
        cwd: z.string().optional(),
      })
      .strict()
      .optional(),
    url: z.url().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /** Health: a `ping` this often (default 10 s); a failed ping restarts the server. */
    pingMs: z.number().int().min(50).max(3_600_000).optional(),
    pingTimeoutMs: z.number().int().min(10).max(600_000).optional(),
    /** SIGTERM to SIGKILL, ms (default 2 s). */
    graceMs: z.number().int().min(0).max(60_000).optional(),
  })
  .strict()
  .refine(
    (s) => (s.stdio === undefined) !== (s.url === undefined),
    'give exactly one of stdio or url',
  );
export type McpServerSpec = z.input<typeof McpServerSpec>;

const ToolInfo = z.object({
  name: z.string(),
  description: z.string().optional(),
  inputSchema: z.record(z.string(), z.unknown()),
  outputSchema: z.record(z.string(), z.unknown()).optional(),
});
export type McpToolInfo = z.infer<typeof ToolInfo>;

const CallResult = z.object({
  content: z.array(z.unknown()),
  structuredContent: z.record(z.string(), z.unknown()).optional(),
  isError: z.boolean().optional(),
});
export type McpCallResult = z.infer<typeof CallResult>;

interface Conn {
  client: Client;
  transport: Transport;
  pid: number | undefined;
  closing: boolean;
}

/** Connections by actor path: a restarted incarnation closes what the crashed one left. */
const connections = new Map<string, Conn>();

async function closeConn(c: Conn | undefined): Promise<void> {
  if (!c || c.closing) return;
  c.closing = true;
  await c.client.close().catch(() => {});
  await c.transport.close().catch(() => {});
}

function connOf(ctx: ActorContext): Conn {
  const c = connections.get(ctx.self.path);
  if (!c) throw new TransportError(`MCP server at ${ctx.self.path} is not connected`);
  return c;
}

/**
 * One MCP server as a supervised actor. On start it spawns the server (stdio: its own process
 * group) or connects to it (Streamable HTTP) and initializes the session; a `ping` every
 * `pingMs` checks its health. A process that exits or a ping that fails crashes the actor, so
 * its supervisor restarts it per the child spec (a fresh process), with backoff and
 * intensity. Stopping closes the session and kills the process group. Lifecycle and every
 * tool call are audit events (`mcp.started`, `mcp.stopped`, `mcp.crashed`, `tool.call`).
 */
export const McpConnection = defineActor({
  type: 'mcp-connection',
  state: (spec: McpServerSpec) => {
    const r = McpServerSpec.safeParse(spec);
    if (!r.success) {
      throw new InvalidArgument(
        `MCP server spec: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    return { spec: r.data, calls: 0 };
  },
  tells: {
    health: z.object({}),
    exited: z.object({ pid: z.number().nullable() }),
  },
  asks: {
    list: { request: z.object({}), reply: z.array(ToolInfo) },
    call: {
      request: z.object({
        name: z.string().min(1),
        arguments: z.record(z.string(), z.unknown()).optional(),
      }),
      reply: CallResult,
    },
    /** The server's process id (stdio), for operators and tests. */
    pid: { request: z.object({}), reply: z.number().nullable() },
  },
  onStart: async (s, ctx) => {
    await closeConn(connections.get(ctx.self.path));
    connections.delete(ctx.self.path);
    const spec = s.spec;
    const transport: Transport = spec.stdio
      ? new StdioChildTransport(spec.stdio, spec.graceMs ?? 2_000)
      : new StreamableHTTPClientTransport(new URL(spec.url!), {
          requestInit: { headers: spec.headers ?? {} },
        });
    const client = new Client({ name: `troupe/${ctx.self.path}`, version: '0.1.0' });
    const conn: Conn = { client, transport, pid: undefined, closing: false };
    connections.set(ctx.self.path, conn);
    try {
      await client.connect(transport);
    } catch (err) {
      await closeConn(conn);
      const tail =
        transport instanceof StdioChildTransport ? transport.stderrTail.trim().slice(-500) : '';
      throw new TransportError(
        `MCP server ${spec.name} did not start: ${(err as Error).message}${tail ? ` (stderr: ${tail})` : ''}`,
        { cause: err },
      );
    }
    conn.pid = transport instanceof StdioChildTransport ? transport.pid : undefined;
    // Set after connect: the client chains its own onclose.
    const prev = client.onclose;
    client.onclose = () => {
      prev?.();
      if (!conn.closing) ctx.tell(ctx.self as never, 'exited', { pid: conn.pid ?? null });
    };
    ctx.audit('mcp.started', {
      server: spec.name,
      pid: conn.pid ?? null,
      transport: spec.stdio ? 'stdio' : 'http',
    });
    ctx.timers.repeat('health', spec.pingMs ?? 10_000, 'health', {});
  },
  onStop: async (s, ctx) => {
    const c = connections.get(ctx.self.path);
    connections.delete(ctx.self.path);
    await closeConn(c);
    ctx.audit('mcp.stopped', { server: s.spec.name, pid: c?.pid ?? null });
  },
  handle: {
    health: async (s, _m, ctx) => {
      const c = connOf(ctx);
      try {
        await c.client.ping({ timeout: s.spec.pingTimeoutMs ?? 5_000 });
      } catch (err) {
        await closeConn(c);
        ctx.audit('mcp.crashed', {
          server: s.spec.name,
          pid: c.pid ?? null,
          reason: 'ping failed',
        });
        ctx.fail(`MCP server ${s.spec.name} failed its ping: ${(err as Error).message}`);
      }
    },
    exited: async (s, m, ctx) => {
      const c = connections.get(ctx.self.path);
      // A late notice from an earlier incarnation's process changes nothing.
      if (!c || (m.pid !== null && c.pid !== m.pid)) return;
      await closeConn(c);
      ctx.audit('mcp.crashed', { server: s.spec.name, pid: m.pid, reason: 'exited' });
      ctx.fail(`MCP server ${s.spec.name} exited`);
    },
    list: async (_s, _m, ctx) => {
      const r = ctx.deferReply();
      try {
        const c = connOf(ctx);
        const tools: McpToolInfo[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < 100; page++) {
          const res = await c.client.listTools(cursor === undefined ? {} : { cursor });
          for (const t of res.tools) tools.push(ToolInfo.parse(t));
          cursor = res.nextCursor;
          if (cursor === undefined) break;
        }
        r.reply(tools);
      } catch (err) {
        r.fail(err as Error);
      }
    },
    call: (s, m, ctx) => {
      const r = ctx.deferReply();
      const started = Date.now();
      const timeout = ctx.deadline > 0 ? Math.max(1, ctx.deadline - started) : 60_000;
      let c: Conn;
      try {
        c = connOf(ctx);
      } catch (err) {
        r.fail(err as Error);
        return;
      }
      s.calls++;
      // Not awaited: calls run concurrently; the mailbox stays free for health and more calls.
      c.client
        .callTool({ name: m.name, arguments: m.arguments ?? {} }, undefined, { timeout })
        .then(
          (res) => {
            const out = CallResult.parse(res);
            ctx.audit('tool.call', {
              server: s.spec.name,
              tool: m.name,
              ok: !out.isError,
              ms: Date.now() - started,
            });
            r.reply(out);
          },
          (err: Error) => {
            ctx.audit('tool.call', {
              server: s.spec.name,
              tool: m.name,
              ok: false,
              ms: Date.now() - started,
              error: err.message,
            });
            r.fail(err);
          },
        );
    },
    pid: (_s, _m, ctx) => ctx.reply(connections.get(ctx.self.path)?.pid ?? null),
  },
});

/** A child spec for a supervisor: the MCP server restarts as the spec says (default permanent). */
export function mcpServerChild(
  spec: McpServerSpec,
  opts: Partial<Omit<ChildSpec<McpServerSpec>, 'start'>> = {},
): ChildSpec<McpServerSpec> {
  return {
    id: opts.id ?? `mcp-${spec.name}`,
    start: { def: McpConnection, args: spec },
    restart: opts.restart ?? 'permanent',
    shutdown: opts.shutdown ?? 5_000,
    ...(opts.maxHandlerMs === undefined ? {} : { maxHandlerMs: opts.maxHandlerMs }),
  };
}
