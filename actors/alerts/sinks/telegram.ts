import type { Alert } from '../alert.ts';
import { escapeMarkdownV2 } from '../markdown.ts';
import { postJson } from './post-json.ts';
import { type AlertSink, httpFailure, type SendResult } from './sink.ts';

export interface TelegramOptions {
  botToken: string;
  chatId: string | number;
  /** The Bot API's base URL (default https://api.telegram.org): a local Bot API server, a proxy. */
  baseUrl?: string;
  /** Messages in a forum topic. */
  messageThreadId?: number;
}

const ICON: Record<Alert['severity'], string> = {
  critical: '🔴',
  error: '🟠',
  warning: '🟡',
  info: '🔵',
};

/** The message text: a bold title and the detail, MarkdownV2-escaped. */
export function telegramText(a: Alert): string {
  const icon = a.state === 'resolved' ? '✅' : ICON[a.severity];
  const title = `${icon} *${escapeMarkdownV2(a.state === 'resolved' ? `resolved: ${a.subject}` : a.title)}*`;
  const where = escapeMarkdownV2(`${a.system} · ${a.rule} · ${a.severity}`);
  // Telegram caps a message at 4096 characters; the escaped text can only grow.
  return `${title}\n${escapeMarkdownV2(a.text.slice(0, 3000))}\n_${where}_`;
}

/** Telegram Bot API `sendMessage`; honours `parameters.retry_after` on 429. */
export class TelegramSink implements AlertSink {
  readonly name = 'telegram';
  private readonly url: string;
  constructor(private readonly o: TelegramOptions) {
    this.url = `${(o.baseUrl ?? 'https://api.telegram.org').replace(/\/+$/, '')}/bot${o.botToken}/sendMessage`;
  }

  async send(a: Alert, signal: AbortSignal): Promise<SendResult> {
    // postJson never puts the URL in an error: it holds the bot token.
    const posted = await postJson(
      this.url,
      JSON.stringify({
        chat_id: this.o.chatId,
        text: telegramText(a),
        parse_mode: 'MarkdownV2',
        link_preview_options: { is_disabled: true },
        ...(this.o.messageThreadId !== undefined
          ? { message_thread_id: this.o.messageThreadId }
          : {}),
      }),
      signal,
    );
    if (!('res' in posted)) return posted;
    const { res, text: body } = posted;
    let parsed: { ok?: boolean; description?: string; parameters?: { retry_after?: number } } = {};
    try {
      parsed = JSON.parse(body);
    } catch {
      // Not the Bot API (a proxy's error page): judged by the status alone.
    }
    if (res.ok && parsed.ok === true) return { ok: true };
    const retryAfter = parsed.parameters?.retry_after;
    return httpFailure(
      res.ok ? 502 : res.status,
      parsed.description ?? body,
      typeof retryAfter === 'number' ? retryAfter * 1000 : undefined,
    );
  }
}
