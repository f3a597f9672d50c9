import { timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FleetSnapshot } from './fleet.ts';
import { isLoopback } from './options.ts';

// The page ships as source files: beside this module in a checkout, at the package root's
// dashboard/static when this module runs compiled from dist/dashboard/.
const STATIC_DIR =
  [
    join(import.meta.dirname, 'static'),
    join(import.meta.dirname, '..', '..', 'dashboard', 'static'),
  ].find((d) => existsSync(join(d, 'index.html'))) ?? join(import.meta.dirname, 'static');
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};
/** Snapshots go out at most this often per client, however many events arrive. */
const PUSH_EVERY_MS = 200;
const KEEPALIVE_MS = 15_000;

export interface BoardServer {
  readonly server: Server;
  readonly port: number;
  /** The fleet changed: stream it to every page (throttled). */
  changed(): void;
  close(): Promise<void>;
}

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The dashboard's HTTP side: the static page (no build step, no CDN), `/api/state` (one
 * snapshot as JSON) and `/api/stream` (snapshots over server-sent events). On loopback the
 * Host header must name loopback too (no DNS rebinding); with a token every request but the
 * static assets must carry it.
 */
export async function serveBoard(o: {
  host: string;
  port: number;
  token: string | undefined;
  snapshot: () => FleetSnapshot;
}): Promise<BoardServer> {
  const files = new Map(
    Object.entries(ASSETS).map(([route, a]) => [
      route,
      { body: readFileSync(join(STATIC_DIR, a.file)), type: a.type },
    ]),
  );
  const loopback = isLoopback(o.host);
  const clients = new Set<ServerResponse>();

  const refuse = (res: ServerResponse, code: number, text: string): void => {
    res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${text}\n`);
  };
  const authorized = (req: IncomingMessage, url: URL): boolean => {
    if (o.token === undefined) return true;
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7) : null;
    return sameToken(url.searchParams.get('token') ?? bearer, o.token);
  };
  const send = (res: ServerResponse): void => {
    res.write(`event: snapshot\ndata: ${JSON.stringify(o.snapshot())}\n\n`);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (loopback) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!['127.0.0.1', 'localhost', '[::1]'].includes(host) && !/^127\./.test(host)) {
        refuse(res, 403, 'forbidden host');
        return;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      refuse(res, 405, 'method not allowed');
      return;
    }
    const asset = files.get(url.pathname);
    if (asset !== undefined && url.pathname !== '/') {
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
      res.end(asset.body);
      return;
    }
    if (!authorized(req, url)) {
      refuse(res, 401, 'token required: open the URL troupe printed (it carries ?token=)');
      return;
    }
    if (asset !== undefined) {
      res.writeHead(200, {
        'content-type': asset.type,
        'cache-control': 'no-cache',
        'content-security-policy':
          "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'",
      });
      res.end(asset.body);
      return;
    }
    if (url.pathname === '/api/state') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
      res.end(JSON.stringify(o.snapshot()));
      return;
    }
    if (url.pathname === '/api/stream') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.write('retry: 1000\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      send(res);
      return;
    }
    refuse(res, 404, 'not found');
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let timer: NodeJS.Timeout | null = null;
  let last = 0;
  const push = (): void => {
    timer = null;
    last = Date.now();
    for (const c of clients) send(c);
  };
  const keepalive = setInterval(() => {
    for (const c of clients) c.write(': keepalive\n\n');
  }, KEEPALIVE_MS);
  keepalive.unref();

  return {
    server,
    port: (server.address() as AddressInfo).port,
    changed() {
      if (timer !== null || clients.size === 0) return;
      timer = setTimeout(push, Math.max(0, last + PUSH_EVERY_MS - Date.now()));
    },
    async close() {
      if (timer !== null) clearTimeout(timer);
      clearInterval(keepalive);
      for (const c of clients) c.end();
      clients.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
