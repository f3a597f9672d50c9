import type { Alert } from '../alert.ts';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../webhook-signature.ts';
import { postForStatus } from './post-json.ts';
import type { AlertSink, SendResult } from './sink.ts';

export interface WebhookOptions {
  url: string;
  /** HMAC-SHA256 key: the receiver checks `x-troupe-signature` over timestamp and body. */
  secret: string;
  headers?: Record<string, string>;
}

/** A generic JSON webhook: the alert as the body, signed with a timestamp against replay. */
export class WebhookSink implements AlertSink {
  readonly name = 'webhook';
  constructor(private readonly o: WebhookOptions) {}

  async send(a: Alert, signal: AbortSignal): Promise<SendResult> {
    const body = JSON.stringify({ version: 1, ...a });
    const ts = Math.floor(Date.now() / 1000);
    return postForStatus(this.o.url, body, signal, {
      ...this.o.headers,
      [TIMESTAMP_HEADER]: String(ts),
      [SIGNATURE_HEADER]: signWebhook(this.o.secret, ts, body),
    });
  }
}
