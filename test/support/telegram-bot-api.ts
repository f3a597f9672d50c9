// A local HTTP server on 127.0.0.1 that speaks the Telegram Bot API's sendMessage as the real
// one does: token in the path, JSON body, MarkdownV2 parsed (a reserved character that is not
// escaped is a 400, as Telegram answers it), `{ ok, result }` / `{ ok: false, error_code,
// description, parameters: { retry_after } }`. Scripted failures for the next requests; it can
// go down (refusing connections) and come back on the same port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface SentMessage {
  chatId: string | number;
  /** The text as the user sees it: MarkdownV2 escapes and entity marks removed. */
  text: string;
  raw: string;
  at: number;
}

export interface Scripted {
  status: number;
  body: Record<string, unknown>;
}

const RESERVED = new Set('_*[]()~`>#+-=|{}.!'.split(''));

/** Parse MarkdownV2 the way Telegram does for what alerts use: escapes, *bold*, _italic_. */
export function parseMarkdownV2(
  text: string,
): { ok: true; plain: string } | { ok: false; error: string } {
  let plain = '';
  const open: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined)
        return { ok: false, error: "can't parse entities: unexpected end after '\\'" };
      plain += next;
      i++;
      continue;
    }
    if (c === '*' || c === '_') {
      if (open[open.length - 1] === c) open.pop();
      else open.push(c);
      continue;
    }
    if (RESERVED.has(c)) {
      return {
        ok: false,
        error: `can't parse entities: Character '${c}' is reserved and must be escaped with the preceding '\\'`,
      };
    }
    plain += c;
  }
  if (open.length > 0)
    return { ok: false, error: `can't parse entities: Can't find end of the entity` };
  return { ok: true, plain };
}

export class BotApiServer {
  readonly messages: SentMessage[] = [];
  /** Every request, answered or not: time and status. */
  readonly requests: { at: number; status: number }[] = [];
  private readonly script: Scripted[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private waiters: (() => void)[] = [];
  port = 0;

  constructor(
    readonly token: string,
    readonly chatId: string | number,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Answer the next requests with these, in order, before answering normally again. */
  fail(...responses: Scripted[]): void {
    this.script.push(...responses);
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Go down: the port refuses connections until start() again. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** Resolves once at least `n` messages were accepted. */
  async waitFor(n: number, timeoutMs = 30_000): Promise<SentMessage[]> {
    const end = Date.now() + timeoutMs;
    while (this.messages.length < n) {
      if (Date.now() > end)
        throw new Error(
          `expected ${n} messages, got ${this.messages.length}: ${JSON.stringify(this.messages.map((m) => m.text))}`,
        );
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
    return this.messages;
  }

  private reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
    this.requests.push({ at: Date.now(), status });
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const m = /^\/bot([^/]+)\/sendMessage$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) {
      this.reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      return;
    }
    if (m[1] !== this.token) {
      this.reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      return;
    }
    const scripted = this.script.shift();
    if (scripted) {
      this.reply(res, scripted.status, scripted.body);
      return;
    }
    let body: { chat_id?: unknown; text?: unknown; parse_mode?: unknown };
    try {
      body = JSON.parse(raw);
    } catch {
      this.reply(res, 400, {
        ok: false,
        error_code: 400,
        description: 'Bad Request: invalid JSON',
      });
      return;
    }
    if (String(body.chat_id) !== String(this.chatId)) {
      this.reply(res, 400, {
        ok: false,
        error_code: 400,
        description: 'Bad Request: chat not found',
      });
      return;
    }
    if (typeof body.text !== 'string' || body.text.length === 0 || body.text.length > 4096) {
      this.reply(res, 400, {
        ok: false,
        error_code: 400,
        description: 'Bad Request: message text is empty or too long',
      });
      return;
    }
    let plain = body.text;
    if (body.parse_mode === 'MarkdownV2') {
      const p = parseMarkdownV2(body.text);
      if (!p.ok) {
        this.reply(res, 400, {
          ok: false,
          error_code: 400,
          description: `Bad Request: ${p.error}`,
        });
        return;
      }
      plain = p.plain;
    }
    const msg: SentMessage = {
      chatId: body.chat_id as string,
      text: plain,
      raw: body.text,
      at: Date.now(),
    };
    this.messages.push(msg);
    this.reply(res, 200, {
      ok: true,
      result: {
        message_id: this.messages.length,
        date: Math.floor(msg.at / 1000),
        chat: { id: body.chat_id, type: 'private' },
        text: plain,
      },
    });
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async close(): Promise<void> {
    await this.stop();
  }
}
