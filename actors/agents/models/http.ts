import { z } from 'zod';
import { deadlineSignal } from '../../../runtime/deadline-signal.ts';
import type { Backoff } from '../../../runtime/index.ts';
import { backoffDelay } from '../../../runtime/index.ts';
import { ModelError } from '../errors.ts';
import type { ModelRequest } from '../model.ts';

/** How an adapter retries: a bounded count, with the runtime's backoff between tries. */
export interface RetryOptions {
  /** Retries after the first try (default 3). */
  readonly maxRetries?: number;
  readonly backoff?: Backoff;
  /** The longest `retry-after` honoured (default 60 s); a longer one fails at once. */
  readonly maxRetryAfterMs?: number;
}

/** RetryOptions as the fields of an adapter's options schema (every adapter takes them). */
export const RetryOptionFields = {
  maxRetries: z.number().int().min(0).max(20).optional(),
  backoff: z
    .object({
      initialMs: z.number().int().min(0),
      maxMs: z.number().int().min(0),
      multiplier: z.number().min(1).optional(),
      jitter: z.number().min(0).max(1).optional(),
      resetAfterMs: z.number().int().min(0).optional(),
    })
    .strict()
    .optional(),
  maxRetryAfterMs: z.number().int().min(0).optional(),
};

const DEFAULT_BACKOFF: Required<Backoff> = {
  initialMs: 500,
  maxMs: 20_000,
  multiplier: 2,
  jitter: 0.2,
  resetAfterMs: 30_000,
};

/** The signal a request runs under: the caller's, and the deadline's (see deadlineSignal). */
export function requestSignal(req: ModelRequest): AbortSignal {
  const deadline = req.deadline ?? 0;
  if (deadline <= 0) return req.signal ?? new AbortController().signal;
  return deadlineSignal(req.signal, deadline);
}

function aborted(signal: AbortSignal, cause?: unknown): ModelError {
  const why = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new ModelError('aborted', `model request aborted: ${why}`, null, {
    cause: cause ?? signal.reason,
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((res, rej) => {
    if (signal.aborted) {
      rej(aborted(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      rej(aborted(signal));
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      res();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `retry-after` in seconds or as an HTTP date; `retry-after-ms` where a server sends it. */
export function retryAfterMs(h: Headers, now = Date.now()): number | null {
  const ms = h.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const v = h.get('retry-after');
  if (v === null) return null;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.ceil(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function retryable(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** A short, key-free description of an error body for the error message. */
async function describeBody(res: Response): Promise<string> {
  try {
    const text = (await res.text()).slice(0, 300);
    try {
      const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
      const m =
        typeof j.error === 'string'
          ? j.error
          : typeof j.error?.message === 'string'
            ? j.error.message
            : typeof j.message === 'string'
              ? j.message
              : null;
      if (m !== null) return m;
    } catch {}
    return text.replace(/\s+/g, ' ').trim();
  } catch {
    return '';
  }
}

/**
 * POST a JSON body; retry 429 (after `retry-after`), 408, 409, 5xx and dropped connections
 * with backoff, a bounded number of times, never past the deadline. Resolves with the first
 * 2xx response (its body unread, so a stream can be consumed as it arrives).
 */
export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  req: ModelRequest,
  signal: AbortSignal,
  opts: RetryOptions = {},
): Promise<Response> {
  const maxRetries = opts.maxRetries ?? 3;
  const backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
  const maxRetryAfter = opts.maxRetryAfterMs ?? 60_000;
  const payload = JSON.stringify(body);
  let lastStatus: number | null = null;
  let lastReason = '';
  for (let attempt = 0; ; attempt++) {
    if (signal.aborted) throw aborted(signal);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload,
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw aborted(signal, err);
      lastStatus = null;
      lastReason = `connection failed: ${(err as Error).message}`;
      res = undefined as never;
    }
    let delay: number;
    if (res !== undefined) {
      if (res.ok) return res;
      lastStatus = res.status;
      const hinted = retryAfterMs(res.headers);
      const msg = await describeBody(res);
      lastReason = `HTTP ${res.status}${msg ? `: ${msg}` : ''}`;
      if (!retryable(res.status)) {
        throw new ModelError(
          'rejected',
          `model API refused the request: ${lastReason}`,
          res.status,
        );
      }
      if (hinted !== null && hinted > maxRetryAfter) {
        throw new ModelError(
          'unavailable',
          `model API asked to retry after ${hinted} ms, over the ${maxRetryAfter} ms limit: ${lastReason}`,
          res.status,
        );
      }
      delay = hinted ?? backoffDelay(backoff, attempt + 1);
    } else {
      delay = backoffDelay(backoff, attempt + 1);
    }
    if (attempt >= maxRetries) break;
    const deadline = req.deadline ?? 0;
    if (deadline > 0 && Date.now() + delay >= deadline) {
      throw new ModelError(
        'aborted',
        `model request gave up: the deadline comes before the next retry (${lastReason})`,
        lastStatus,
      );
    }
    req.onRetry?.({ attempt: attempt + 1, status: lastStatus, delayMs: delay, reason: lastReason });
    await sleep(delay, signal);
  }
  throw new ModelError(
    'unavailable',
    `model API still failing after ${maxRetries + 1} tries: ${lastReason}`,
    lastStatus,
  );
}

/** The body as JSON, or a `malformed` error that says what came instead. */
export async function readJson(res: Response, signal: AbortSignal): Promise<unknown> {
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    if (signal.aborted) throw aborted(signal, err);
    throw new ModelError('malformed', `model response body unreadable: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ModelError(
      'malformed',
      `model response is not JSON: ${JSON.stringify(text.slice(0, 80))}`,
      res.status,
      { cause },
    );
  }
}

/** Rethrow a failure while reading a stream as an abort when the signal says so. */
export function streamFailure(err: unknown, signal: AbortSignal): never {
  if (err instanceof ModelError) throw err;
  if (signal.aborted) throw aborted(signal, err);
  throw new ModelError('unavailable', `model stream broke: ${(err as Error).message}`, null, {
    cause: err,
  });
}
