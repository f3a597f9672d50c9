import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  ErrorCode,
  type JSONRPCMessage,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import type { ServedTools } from './served-tools.ts';

type Id = string | number;

interface FastRequest {
  readonly id: Id;
  readonly method: 'tools/call' | 'tools/list' | 'ping';
  readonly params?: Record<string, unknown>;
}

const FAST_METHODS = new Set(['tools/call', 'tools/list', 'ping']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * A request the fast path may answer: one JSON-RPC request (not a batch) for `ping`,
 * `tools/list`, or a `tools/call` that wants neither progress (no progress token: nothing to
 * stream) nor a task. Anything else, malformed messages included, stays with the SDK
 * transport, which owns their errors.
 */
function fastRequest(message: unknown): FastRequest | null {
  if (!isRecord(message) || message.jsonrpc !== '2.0') return null;
  const { id, method, params } = message;
  if (typeof method !== 'string' || !FAST_METHODS.has(method)) return null;
  if (typeof id !== 'string' && !(typeof id === 'number' && Number.isSafeInteger(id))) return null;
  if (params !== undefined && !isRecord(params)) return null;
  if (method === 'tools/call') {
    if (params === undefined || params.task !== undefined) return null;
    const meta = params._meta;
    if (meta !== undefined && (!isRecord(meta) || meta.progressToken !== undefined)) return null;
  }
  return { id, method: method as FastRequest['method'], ...(params ? { params } : {}) };
}

/** The headers the SDK transport checks on every POST; when one is off, it answers the error. */
function headersFit(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return false;
  if (mediaType(req.headers['content-type']) !== 'application/json') return false;
  const version = req.headers['mcp-protocol-version'];
  return version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(String(version));
}

function rpcError(err: unknown): { code: number; message: string; data?: unknown } {
  const e = err as { code?: unknown; message?: unknown; data?: unknown };
  return {
    code: Number.isSafeInteger(e?.code) ? (e.code as number) : ErrorCode.InternalError,
    message: typeof e?.message === 'string' ? e.message : 'Internal error',
    ...(e?.data !== undefined ? { data: e.data } : {}),
  };
}

/**
 * Streamable HTTP lets a server answer a POSTed request with plain `application/json` instead
 * of an SSE stream. The SDK transport streams every answer (and its JSON mode is per session
 * and drops progress), so calls that need no stream are answered here, on the session the
 * SDK transport opened: same results, same JSON-RPC errors, without the Web Streams round
 * trip. A `notifications/cancelled` for a call answered here, or the client going away,
 * aborts its run.
 */
export class JsonFastPath {
  /** In-flight calls answered here, by session and request id. */
  private readonly running = new Map<string, Map<Id, AbortController>>();

  constructor(private readonly tools: ServedTools) {}

  /** Answer `message` as JSON when it qualifies; false leaves the request to the SDK. */
  take(session: string, req: IncomingMessage, message: unknown, res: ServerResponse): boolean {
    const rpc = req.method === 'POST' ? fastRequest(message) : null;
    if (!rpc || !headersFit(req)) return false;
    void this.answer(session, rpc, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: rpc.id, error: rpcError(err) }));
    });
    return true;
  }

  /** Abort the runs a client's `notifications/cancelled` names (the SDK sees it too). */
  cancel(session: string, message: unknown): void {
    const calls = this.running.get(session);
    if (!calls) return;
    for (const m of Array.isArray(message) ? message : [message]) {
      if (!isRecord(m) || m.method !== 'notifications/cancelled' || !isRecord(m.params)) continue;
      const id = m.params.requestId;
      if (typeof id === 'string' || typeof id === 'number') calls.get(id)?.abort();
    }
  }

  /** The session ended: abort what still runs in it. */
  drop(session: string): void {
    const calls = this.running.get(session);
    this.running.delete(session);
    for (const ac of calls?.values() ?? []) ac.abort();
  }

  private async answer(session: string, rpc: FastRequest, res: ServerResponse): Promise<void> {
    let reply: JSONRPCMessage;
    if (rpc.method === 'ping') reply = { jsonrpc: '2.0', id: rpc.id, result: {} };
    else if (rpc.method === 'tools/list')
      reply = { jsonrpc: '2.0', id: rpc.id, result: this.tools.list() };
    else {
      const ac = new AbortController();
      const gone = (): void => {
        if (!res.writableFinished) ac.abort();
      };
      res.once('close', gone);
      let calls = this.running.get(session);
      if (!calls) this.running.set(session, (calls = new Map()));
      calls.set(rpc.id, ac);
      try {
        reply = await this.call(rpc, ac.signal);
      } finally {
        if (calls.get(rpc.id) === ac) calls.delete(rpc.id);
        if (calls.size === 0 && this.running.get(session) === calls) this.running.delete(session);
        res.off('close', gone);
      }
      if (ac.signal.aborted) {
        // A canceled request gets no response (as the SDK does); the POST still needs an end.
        if (!res.writableEnded) res.writeHead(202).end();
        return;
      }
    }
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': session });
    res.end(JSON.stringify(reply));
  }

  /** `tools/call` with the checks the SDK's protocol server makes around its handler. */
  private async call(rpc: FastRequest, signal: AbortSignal): Promise<JSONRPCMessage> {
    const parsed = CallToolRequestSchema.safeParse(rpc);
    if (!parsed.success) {
      const message = `MCP error ${ErrorCode.InvalidParams}: Invalid tools/call request: ${parsed.error.message}`;
      return { jsonrpc: '2.0', id: rpc.id, error: { code: ErrorCode.InvalidParams, message } };
    }
    try {
      const out = await this.tools.call(parsed.data.params, { requestId: rpc.id, signal });
      const checked = CallToolResultSchema.safeParse(out);
      if (!checked.success) {
        const message = `MCP error ${ErrorCode.InvalidParams}: Invalid tools/call result: ${checked.error.message}`;
        return { jsonrpc: '2.0', id: rpc.id, error: { code: ErrorCode.InvalidParams, message } };
      }
      return { jsonrpc: '2.0', id: rpc.id, result: checked.data };
    } catch (err) {
      return { jsonrpc: '2.0', id: rpc.id, error: rpcError(err) };
    }
  }
}
