// A webhook receiver on 127.0.0.1 that checks what a careful receiver checks, with its own
// HMAC code (node:crypto), not troupe's: the signature over "<timestamp>.<body>" and a
// timestamp within five minutes. Bad requests get 401 and are counted.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export class WebhookReceiver {
  readonly accepted: Record<string, unknown>[] = [];
  readonly refused: string[] = [];
  private server: Server | null = null;
  port = 0;

  constructor(private readonly secret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/troupe`;
  }

  async start(): Promise<void> {
    const server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      const ts = String(req.headers['x-troupe-timestamp'] ?? '');
      const sig = String(req.headers['x-troupe-signature'] ?? '');
      const expected = `sha256=${createHmac('sha256', this.secret).update(`${ts}.${body}`).digest('hex')}`;
      const fresh = Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
      const match =
        sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
      if (!fresh || !match || req.headers['content-type'] !== 'application/json') {
        this.refused.push(!fresh ? 'stale timestamp' : !match ? 'bad signature' : 'not json');
        res.writeHead(401).end();
        return;
      }
      this.accepted.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }
}
