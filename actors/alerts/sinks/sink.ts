import type { Alert } from '../alert.ts';

/** How one delivery attempt went. */
export type SendResult =
  | { ok: true }
  /** Worth trying again: after `retryAfterMs` when the sink said so, else with backoff. */
  | { ok: false; retry: true; error: string; retryAfterMs?: number }
  /** The sink refused this alert for good (a bad token, a bad chat id): retrying cannot help. */
  | { ok: false; retry: false; error: string };

/** Where alerts go: Telegram, a webhook, Slack, the log. One attempt per call; never throws. */
export interface AlertSink {
  readonly name: string;
  send(alert: Alert, signal: AbortSignal): Promise<SendResult>;
}

/** A failed HTTP exchange as a SendResult: 429 and 5xx are retried, other 4xx are not. */
export function httpFailure(status: number, body: string, retryAfterMs?: number): SendResult {
  const error = `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`;
  if (status === 429 || status >= 500 || status === 408) {
    return retryAfterMs !== undefined
      ? { ok: false, retry: true, error, retryAfterMs }
      : { ok: false, retry: true, error };
  }
  return { ok: false, retry: false, error };
}

/** A network error (refused, reset, timed out): the sink may come back. */
export function networkFailure(err: unknown): SendResult {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const detail = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
  return { ok: false, retry: true, error: `unreachable: ${detail}` };
}

/** `Retry-After` as ms: seconds or an HTTP date. */
export function retryAfterHeader(v: string | null): number | undefined {
  if (v === null) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}
