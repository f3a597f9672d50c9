import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the server received, body parsed as JSON. */
export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
}

/** How to answer one request. */
export type Reply =
  | { readonly status?: number; readonly headers?: Record<string, string>; readonly json: unknown }
  | { readonly status?: number; readonly headers?: Record<string, string>; readonly text: string }
  /** Server-sent events, each `data` written (and flushed) separately, `event` when given. */
  | {
      readonly sse: readonly { readonly event?: string; readonly data: string }[];
      readonly split?: number;
    }
  /** Never answer: the client must abort. */
  | { readonly hang: true };

export interface ModelServer {
  readonly url: string;
  readonly seen: Seen[];
  /** Requests whose connection closed before an answer was sent (aborted by the client). */
  readonly aborted: number;
  /** Resolves when `n` requests have been aborted. */
  whenAborted(n: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real HTTP server on loopback that answers model API requests from a script, one reply per
 * request in order; a request past the script gets 599 so a test sees it. It speaks whatever
 * wire format the replies carry: the tests write the documented OpenAI and Anthropic shapes.
 */
export async function startModelServer(replies: Reply[]): Promise<ModelServer> {
  const seen: Seen[] = [];
  let aborted = 0;
  const waiters: { n: number; res: () => void }[] = [];
  const hanging = new Set<ServerResponse>();
  const onAbort = (): void => {
    aborted++;
    for (const w of waiters.splice(0)) {
      if (aborted >= w.n) w.res();
      else waiters.push(w);
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        body = { _raw: raw };
      }
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const r = replies[seen.length - 1];
      if (r === undefined) {
        res.writeHead(599, { 'content-type': 'text/plain' }).end('no scripted reply');
        return;
      }
      if ('hang' in r) {
        hanging.add(res);
        res.on('close', () => {
          hanging.delete(res);
          if (!res.writableEnded) onAbort();
        });
        return;
      }
      if ('sse' in r) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        const text = r.sse
          .map((e) => `${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`)
          .join('');
        // Split into fixed-size pieces so events straddle chunk boundaries.
        const n = r.split ?? 17;
        const pieces: string[] = [];
        for (let i = 0; i < text.length; i += n) pieces.push(text.slice(i, i + n));
        const write = (i: number): void => {
          if (i >= pieces.length) {
            res.end();
            return;
          }
          res.write(pieces[i]!, () => setImmediate(() => write(i + 1)));
        };
        write(0);
        return;
      }
      const headers = { ...r.headers };
      if ('json' in r) {
        res.writeHead(r.status ?? 200, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(r.json));
      } else {
        res.writeHead(r.status ?? 200, { 'content-type': 'text/plain', ...headers });
        res.end(r.text);
      }
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get aborted() {
      return aborted;
    },
    whenAborted(n) {
      if (aborted >= n) return Promise.resolve();
      return new Promise((res) => waiters.push({ n, res }));
    },
    close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      return new Promise((res) => server.close(() => res()));
    },
  };
}
