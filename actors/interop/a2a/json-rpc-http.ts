import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  A2A_VERSION_HEADER,
  Extensions,
  formatSSEErrorEvent,
  formatSSEEvent,
  HTTP_EXTENSION_HEADER,
  SSE_HEADERS,
} from '@a2a-js/sdk';
import { LegacyJsonRpcTransportHandler } from '@a2a-js/sdk/compat/v0_3/server';
import {
  type A2ARequestHandler,
  defaultServerCallContextBuilder,
  JsonRpcTransportHandler,
  type User,
  validateVersion,
} from '@a2a-js/sdk/server';

/** What the SDK's express JSON-RPC router accepts: its body parser's limit and v0.3 names. */
const MAX_BODY = 100 * 1024;
const LEGACY_VERSION = '0.3';
const LEGACY_EXTENSION_HEADER = 'X-A2A-Extensions';
const LEGACY_RESUBSCRIBE = 'tasks/resubscribe';
const PARSE_ERROR = -32700;
const INTERNAL_ERROR = -32603;

type RpcError = { code: number; message: string; data?: unknown };

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** A JSON body the SDK's express parser would read as such: `application/json`, UTF-8, small. */
function takes(req: IncomingMessage): boolean {
  const ct = (header(req, 'content-type') ?? '').toLowerCase().split(';');
  if (ct[0]!.trim() !== 'application/json') return false;
  const charset = ct.slice(1).find((p) => p.trim().startsWith('charset='));
  if (charset && !/^charset="?utf-8"?$/.test(charset.trim())) return false;
  const length = Number(header(req, 'content-length') ?? 0);
  return Number.isFinite(length) && length <= MAX_BODY && !header(req, 'content-encoding');
}

async function readJson(req: IncomingMessage): Promise<{ body: unknown } | 'too-large' | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return 'too-large';
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { body: {} };
  try {
    const body: unknown = JSON.parse(text);
    // Strict like the express parser: a JSON-RPC body is an object (or a batch).
    return typeof body === 'object' && body !== null ? { body } : null;
  } catch {
    return null;
  }
}

export interface JsonRpcHttpOptions {
  readonly requestHandler: A2ARequestHandler;
  readonly user: (req: IncomingMessage) => User;
}

/**
 * A2A JSON-RPC on plain `node:http`: the SDK's transport-agnostic handlers (v1.0, and v0.3
 * for clients that send no `A2A-Version`), without express's router, body parser and
 * response helpers. It answers what the SDK's express `jsonRpcHandler` answers, the same
 * way (plain JSON, or SSE for streaming methods); `take` returns false for a request whose
 * body it would not parse the same (another media type, charset or encoding, too large),
 * which the caller leaves to the express handler.
 */
export function jsonRpcHttp(
  opts: JsonRpcHttpOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const current = new JsonRpcTransportHandler(opts.requestHandler);
  const legacy = new LegacyJsonRpcTransportHandler(opts.requestHandler);
  return (req, res) => {
    if (!takes(req)) return false;
    void serve(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { jsonrpc: '2.0', id: null, error: internal() });
      else res.end();
    });
    return true;
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readJson(req);
    if (read === 'too-large') {
      json(res, 413, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'too large' } });
      return;
    }
    if (read === null) {
      const error = { code: PARSE_ERROR, message: 'Invalid JSON payload.' };
      json(res, 200, { jsonrpc: '2.0', id: null, error });
      return;
    }
    const body = read.body as { id?: unknown; method?: unknown };
    const requested = header(req, A2A_VERSION_HEADER);
    const useLegacy = (requested || LEGACY_VERSION) === LEGACY_VERSION;
    const mapError = (e: unknown): RpcError =>
      useLegacy
        ? LegacyJsonRpcTransportHandler.mapToLegacyJSONRPCError(e)
        : JsonRpcTransportHandler.mapToJSONRPCError(e);
    const id = body.id || null;
    try {
      const extensions = useLegacy
        ? (header(req, LEGACY_EXTENSION_HEADER) ?? header(req, HTTP_EXTENSION_HEADER))
        : header(req, HTTP_EXTENSION_HEADER);
      const context = defaultServerCallContextBuilder({
        extensions: Extensions.parseServiceParameter(extensions),
        user: opts.user(req),
        headers: req.headers,
        requestedVersion: requested || undefined,
      });
      validateVersion(
        context.requestedVersion,
        await opts.requestHandler.getAgentCard(),
        'JSONRPC',
      );
      const out = await (useLegacy ? legacy : current).handle(
        body as Record<string, unknown>,
        context,
      );
      if (context.activatedExtensions) {
        res.setHeader(
          useLegacy ? LEGACY_EXTENSION_HEADER : HTTP_EXTENSION_HEADER,
          Array.from(context.activatedExtensions),
        );
      }
      if (!(Symbol.asyncIterator in out)) {
        json(res, 200, out);
        return;
      }
      await stream(res, out, useLegacy && body.method === LEGACY_RESUBSCRIBE, (e) => ({
        jsonrpc: '2.0',
        id,
        error: mapError(e),
      }));
    } catch (err) {
      const error = mapError(err);
      if (!res.headersSent)
        json(res, error.code === INTERNAL_ERROR ? 500 : 200, { jsonrpc: '2.0', id, error });
      else if (!res.writableEnded) res.end();
    }
  }
}

/**
 * Events as SSE. An error before the first event is a plain JSON answer, as the SDK does,
 * except for v0.3 `tasks/resubscribe`, which always streams.
 */
async function stream(
  res: ServerResponse,
  events: AsyncGenerator<unknown, void, undefined>,
  alwaysSse: boolean,
  failure: (e: unknown) => unknown,
): Promise<void> {
  let first: IteratorResult<unknown, void> | null = null;
  if (!alwaysSse) {
    try {
      first = await events.next();
    } catch (e) {
      json(res, 200, failure(e));
      return;
    }
  }
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  // A client that goes away ends the generator, so the SDK lets go of the task's events.
  const gone = (): void => void events.return().catch(() => {});
  res.once('close', gone);
  try {
    if (first && !first.done) res.write(formatSSEEvent(first.value));
    if (!first?.done) {
      for (let n = await events.next(); !n.done; n = await events.next()) {
        if (res.destroyed) break;
        res.write(formatSSEEvent(n.value));
      }
    }
  } catch (e) {
    if (!res.writableEnded) res.write(formatSSEErrorEvent(failure(e)));
  } finally {
    res.off('close', gone);
    if (!res.writableEnded) res.end();
  }
}

function internal(): RpcError {
  return { code: INTERNAL_ERROR, message: 'An unexpected error occurred.' };
}
