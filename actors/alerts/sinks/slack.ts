import type { Alert } from '../alert.ts';
import { escapeSlack } from '../markdown.ts';
import { postForStatus } from './post-json.ts';
import type { AlertSink, SendResult } from './sink.ts';

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
    return postForStatus(this.o.url, JSON.stringify({ text }), signal);
  }
}
