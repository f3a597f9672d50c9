import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentCard } from '@a2a-js/sdk';
import { DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler } from '@a2a-js/sdk/server/express';
import express from 'express';
import { z } from 'zod';
import { type ActorSystem, InvalidArgument } from '../../../runtime/index.ts';
import { ServedAgent, type ServeTarget } from '../served-agent.ts';
import { type A2AAuth, A2AAuthSchema, authenticate } from './auth.ts';
import { agentCard } from './card.ts';
import { ActorExecutor } from './executor.ts';
import { jsonRpcHttp } from './json-rpc-http.ts';
import { NamedUser } from './named-user.ts';

export interface A2AServerOptions {
  readonly target: ServeTarget;
  readonly auth?: A2AAuth;
  /** Default 127.0.0.1; 0 picks a free port. */
  readonly host?: string;
  readonly port?: number;
  /** The URL clients reach the server at, for the card; default http://host:port/. */
  readonly publicUrl?: string;
}

const Options = z.object({
  target: z.object({}).loose(),
  auth: A2AAuthSchema.optional(),
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  publicUrl: z.url().optional(),
});

export interface A2AServer {
  readonly url: string;
  readonly card: AgentCard;
  /** The SDK's request handler: the A2A-over-NATS binding serves the same one. */
  readonly handler: DefaultRequestHandler;
  close(): Promise<void>;
}

function unauthenticated(res: ServerResponse): void {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: null,
    error: { code: -32001, message: 'unauthenticated: send a valid bearer token or API key' },
  });
  res.writeHead(401, {
    'www-authenticate': 'Bearer',
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The SDK's request handler over a served actor, shared by every A2A binding. */
export function a2aHandler(
  agent: ServedAgent,
  url: string,
  auth: A2AAuth | undefined,
  binding = 'JSONRPC',
): { handler: DefaultRequestHandler; card: AgentCard } {
  const card = agentCard(agent, url, auth, binding);
  const handler = new DefaultRequestHandler(
    card,
    new InMemoryTaskStore(),
    new ActorExecutor(agent),
  );
  return { handler, card };
}

/**
 * Serve an actor as an A2A agent over HTTP: the card at `/.well-known/agent-card.json`
 * (public), JSON-RPC at `/` (SendMessage, SendStreamingMessage over SSE, GetTask, CancelTask,
 * ListTasks; v0.3 method names too), every RPC behind the configured bearer token or API key.
 */
export async function serveA2A(system: ActorSystem, opts: A2AServerOptions): Promise<A2AServer> {
  const parsed = Options.safeParse(opts);
  if (!parsed.success) {
    throw new InvalidArgument(
      `serveA2A: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const agent = new ServedAgent(system, opts.target);
  const host = opts.host ?? '127.0.0.1';
  const app = express();
  app.disable('x-powered-by');
  let rpc: ((req: IncomingMessage, res: ServerResponse) => boolean) | null = null;
  // JSON-RPC at `/` on plain node:http (the hot path); the card and every other request
  // go through the SDK's express handlers.
  const server = createServer((req, res) => {
    if (rpc && req.method === 'POST' && (req.url === '/' || req.url?.startsWith('/?'))) {
      if (authenticate(opts.auth, req.headers) === null) return unauthenticated(res);
      if (rpc(req, res)) return;
    }
    app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = opts.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  const { handler, card } = a2aHandler(agent, url, opts.auth);
  const user = (req: { headers: IncomingHttpHeaders }) =>
    new NamedUser(authenticate(opts.auth, req.headers) ?? 'anonymous');
  rpc = jsonRpcHttp({ requestHandler: handler, user });
  agent.start();
  app.use(
    '/.well-known/agent-card.json',
    agentCardHandler({ agentCardProvider: handler, legacyCompat: { enabled: true } }),
  );
  app.use('/', (req, res, next) => {
    if (authenticate(opts.auth, req.headers) !== null) return next();
    unauthenticated(res);
  });
  app.use(
    '/',
    jsonRpcHandler({
      requestHandler: handler,
      userBuilder: async (req) => user(req),
      legacyCompat: { enabled: true },
    }),
  );
  let closed: Promise<void> | null = null;
  return {
    url,
    card,
    handler,
    close: () => {
      closed ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        await agent.close();
      })();
      return closed;
    },
  };
}
