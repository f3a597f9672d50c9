import { randomUUID } from 'node:crypto';
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  isInitializeRequest,
  ListToolsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { type ActorSystem, InvalidArgument } from '../../../runtime/index.ts';
import { type A2AAuth, A2AAuthSchema, authenticate } from '../a2a/auth.ts';
import { ServedAgent, type ServeTarget } from '../served-agent.ts';
import { JsonFastPath } from './json-fast-path.ts';
import { ServedTools } from './served-tools.ts';

export interface McpServeOptions {
  /** The actors to expose; each ask becomes a tool. */
  readonly targets: readonly ServeTarget[];
  /** Server name and version in the MCP handshake. */
  readonly name?: string;
  readonly version?: string;
}

const Options = z.object({
  targets: z.array(z.object({}).loose()).min(1),
  name: z.string().min(1).max(128).optional(),
  version: z.string().min(1).max(64).optional(),
});

function parse(opts: unknown, what: string): void {
  const r = Options.safeParse(opts);
  if (!r.success) {
    throw new InvalidArgument(
      `${what}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
}

/**
 * Let progress notifications leave before the result. The MCP SDK client (1.32) runs
 * notification handlers a microtask after it reads them but settles a response at once, so a
 * progress notice read in the same chunk as its result is dropped as "unknown token": written
 * out, then a macrotask later, they usually reach the client in separate reads.
 */
async function settle(notices: Promise<void>[]): Promise<void> {
  if (notices.length === 0) return;
  await Promise.all(notices);
  await new Promise<void>((r) => setImmediate(r));
}

/**
 * One MCP server (protocol session) over the served agents: `tools/list` gives every ask
 * with its JSON Schemas, `tools/call` asks the actor. Progress reports of the run become
 * `notifications/progress` when the caller sent a progress token; a client's
 * `notifications/cancelled` cancels the run. A failing run is a tool result with `isError`
 * (the model can read it); an unknown tool is a protocol error.
 */
export function mcpServer(
  agents: readonly ServedAgent[],
  info: { name: string; version: string },
): Server {
  return protocolServer(new ServedTools(agents), info);
}

function protocolServer(tools: ServedTools, info: { name: string; version: string }): Server {
  const server = new Server(info, { capabilities: { tools: { listChanged: false } } });
  server.setRequestHandler(ListToolsRequestSchema, async () => tools.list());
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const token = req.params._meta?.progressToken;
    const notices: Promise<void>[] = [];
    const out = await tools.call(req.params, {
      requestId: extra.requestId,
      signal: extra.signal,
      ...(token === undefined
        ? {}
        : {
            onProgress: (p) => {
              const sent = extra
                .sendNotification({
                  method: 'notifications/progress',
                  params: {
                    progressToken: token,
                    progress: p.progress ?? 0,
                    ...(p.total === undefined ? {} : { total: p.total }),
                    ...(p.message === undefined ? {} : { message: p.message }),
                  },
                })
                .catch(() => {});
              notices.push(sent);
            },
          }),
    });
    await settle(notices);
    return out;
  });
  return server;
}

export interface McpServing {
  close(): Promise<void>;
}

function agentsOf(system: ActorSystem, opts: McpServeOptions): ServedAgent[] {
  const agents = opts.targets.map((t) => new ServedAgent(system, t));
  for (const a of agents) a.start();
  return agents;
}

const info = (opts: McpServeOptions) => ({
  name: opts.name ?? 'troupe',
  version: opts.version ?? '0.1.0',
});

/** Serve over any MCP transport (stdio, an in-memory pair, …). */
export async function serveMcpOn(
  system: ActorSystem,
  opts: McpServeOptions,
  transport: Transport,
): Promise<McpServing> {
  parse(opts, 'serveMcp');
  const agents = agentsOf(system, opts);
  const server = mcpServer(agents, info(opts));
  await server.connect(transport);
  return {
    close: async () => {
      await server.close();
      await Promise.all(agents.map((a) => a.close()));
    },
  };
}

/** Serve over this process's stdin and stdout (what `troupe serve mcp --stdio` does). */
export function serveMcpStdio(system: ActorSystem, opts: McpServeOptions): Promise<McpServing> {
  return serveMcpOn(system, opts, new StdioServerTransport());
}

export interface McpHttpOptions extends McpServeOptions {
  /** Bearer tokens or API keys, as for A2A; without them the endpoint is open (loopback). */
  readonly auth?: A2AAuth;
  readonly host?: string;
  readonly port?: number;
  /** Endpoint path; default `/mcp`. */
  readonly path?: string;
}

export interface McpHttpServing extends McpServing {
  readonly url: string;
}

async function body(req: IncomingMessage, max = 4 * 1024 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new InvalidArgument(`request body over ${max} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length === 0 ? undefined : JSON.parse(text);
}

function httpError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message } }));
}

/**
 * Serve over MCP Streamable HTTP: one endpoint, POST for requests (answered as JSON or an SSE
 * stream), GET for the server's stream, DELETE to end a session; a session per `initialize`
 * (`Mcp-Session-Id`), each with its own protocol server over the same agents. Requests that
 * need no stream (`ping`, `tools/list`, a `tools/call` without a progress token) are answered
 * as plain JSON by the fast path; the SDK transport carries the rest.
 */
export async function serveMcpHttp(
  system: ActorSystem,
  opts: McpHttpOptions,
): Promise<McpHttpServing> {
  parse({ targets: opts.targets, name: opts.name, version: opts.version }, 'serveMcpHttp');
  const auth = A2AAuthSchema.optional().safeParse(opts.auth);
  if (!auth.success)
    throw new InvalidArgument(
      `serveMcpHttp auth: ${auth.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const agents = agentsOf(system, opts);
  const tools = new ServedTools(agents);
  const fast = new JsonFastPath(tools);
  const path = opts.path ?? '/mcp';
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: Server }>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== path)
      return httpError(res, 404, 'not found');
    if (authenticate(opts.auth, req.headers) === null) {
      return httpError(res, 401, 'unauthenticated: send a valid bearer token or API key');
    }
    const sid = req.headers['mcp-session-id'];
    const id = Array.isArray(sid) ? sid[0] : sid;
    const parsed = req.method === 'POST' ? await body(req) : undefined;
    let s = id ? sessions.get(id) : undefined;
    if (s && id) {
      if (fast.take(id, req, parsed, res)) return;
      fast.cancel(id, parsed);
    }
    if (!s) {
      if (id) return httpError(res, 404, 'unknown session');
      if (req.method !== 'POST' || !isInitializeRequest(parsed)) {
        return httpError(res, 400, 'no session: start with initialize');
      }
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => {
          sessions.set(sessionId, { transport, server });
        },
      });
      transport.onclose = () => {
        if (!transport.sessionId) return;
        sessions.delete(transport.sessionId);
        fast.drop(transport.sessionId);
      };
      const server = protocolServer(tools, info(opts));
      await server.connect(transport);
      s = { transport, server };
    }
    await s.transport.handleRequest(req, res, parsed);
  };
  const http: HttpServer = createServer((req, res) => {
    handle(req, res).catch((err) =>
      httpError(
        res,
        err instanceof InvalidArgument || err instanceof SyntaxError ? 400 : 500,
        (err as Error).message,
      ),
    );
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  let closed: Promise<void> | null = null;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`,
    close: () => {
      closed ??= (async () => {
        await Promise.all([...sessions.values()].map((s) => s.server.close().catch(() => {})));
        sessions.clear();
        http.closeAllConnections();
        await new Promise<void>((r) => http.close(() => r()));
        await Promise.all(agents.map((a) => a.close()));
      })();
      return closed;
    },
  };
}
