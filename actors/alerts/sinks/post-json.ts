import { httpFailure, networkFailure, retryAfterHeader, type SendResult } from './sink.ts';

/** A POST that got an answer: the response and its body, already read. */
export interface Posted {
  readonly res: Response;
  readonly text: string;
}

/**
 * One JSON POST as every HTTP sink makes it. A network error comes back as a SendResult
 * (never with the URL, which may hold a token); an answer comes back read, for the sink to judge.
 */
export async function postJson(
  url: string,
  body: string,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<Posted | SendResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
      signal,
    });
  } catch (err) {
    return networkFailure(err);
  }
  return { res, text: await res.text().catch(() => '') };
}

/** A plain webhook's verdict: any 2xx is delivered; else by status and `Retry-After`. */
export async function postForStatus(
  url: string,
  body: string,
  signal: AbortSignal,
  headers?: Record<string, string>,
): Promise<SendResult> {
  const posted = await postJson(url, body, signal, headers);
  if (!('res' in posted)) return posted;
  const { res, text } = posted;
  if (res.ok) return { ok: true };
  return httpFailure(res.status, text, retryAfterHeader(res.headers.get('retry-after')));
}
