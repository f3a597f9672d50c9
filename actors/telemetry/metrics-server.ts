import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TransportError } from '../../runtime/index.ts';
import type { NodeMetrics } from './metrics.ts';

/**
 * `/metrics` over HTTP for Prometheus to scrape. Bound to 127.0.0.1 unless told otherwise:
 * metrics name actors and agents, which is not for everyone on the network.
 */
export interface MetricsServer {
  /** `http://host:port/metrics` (the real port when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

export async function serveMetrics(
  metrics: NodeMetrics,
  port: number,
  host: string,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    metrics.text().then(
      (body) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new TransportError(`cannot serve metrics on ${host}:${port}: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${h}:${addr.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
