import type { Alert } from '../alert.ts';
import { escapeSlack } from '../markdown.ts';
import {
  type AlertSink,
  httpFailure,
  networkFailure,
  retryAfterHeader,
  type SendResult,
} from './sink.ts';

export interface SlackOptions {
  /** A Slack (or Mattermost, Rocket.Chat…) incoming webhook URL. */
  url: string;
}

const EMOJI: Record<Alert['severity'], string> = {
  critical: ':red_circle:',
  error: ':large_orange_circle:',
  warning: ':large_yellow_circle:',
  info: ':large_blue_circle:',
};

/** A Slack-compatible incoming webhook: `{ text }` in mrkdwn. */
export class SlackSink implements AlertSink {
  readonly name = 'slack';
  constructor(private readonly o: SlackOptions) {}

  async send(a: Alert, signal: AbortSignal): Promise<SendResult> {
    const icon = a.state === 'resolved' ? ':white_check_mark:' : EMOJI[a.severity];
    const title = a.state === 'resolved' ? `resolved: ${a.subject}` : a.title;
    const text = `${icon} *${escapeSlack(title)}*\n${escapeSlack(a.text)}\n_${escapeSlack(`${a.system} · ${a.rule} · ${a.severity}`)}_`;
    let res: Response;
    try {
      res = await fetch(this.o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
        signal,
      });
    } catch (err) {
      return networkFailure(err);
    }
    const body = await res.text().catch(() => '');
    if (res.ok) return { ok: true };
    return httpFailure(res.status, body, retryAfterHeader(res.headers.get('retry-after')));
  }
}
