// One model API endpoint as both adapters use it: POST with retries under the request's
// deadline, and every reply or stream event checked against the API's documented shape.
import type { z } from 'zod';
import { releaseDeadline } from '../../../runtime/deadline-signal.ts';
import { ModelError } from '../errors.ts';
import type { ModelRequest } from '../model.ts';
import { postJson, type RetryOptions, readJson, requestSignal } from './http.ts';

export interface ModelEndpoint {
  /** POST a request; the 2xx reply parsed against `schema`. */
  complete<T>(schema: z.ZodType<T>, body: unknown, req: ModelRequest): Promise<T>;
  /** POST a streaming request: the reply's body, and the signal it is read under. */
  open(
    body: unknown,
    req: ModelRequest,
  ): Promise<{ body: ReadableStream<Uint8Array>; signal: AbortSignal }>;
  /** One stream event's data as JSON, or a `malformed` error. */
  eventJson(what: string, data: string): unknown;
  /** A reply or event that is not the documented shape. */
  malformed(what: string, error: z.ZodError): ModelError;
}

/** `api` names the wire format in errors (`Anthropic`, `chat completions`). */
export function modelEndpoint(
  api: string,
  url: string,
  headers: Record<string, string>,
  retry: RetryOptions,
): ModelEndpoint {
  const malformed = (what: string, error: z.ZodError): ModelError => {
    const i = error.issues[0];
    const at = i ? `${i.path.map(String).join('.')}: ${i.message}` : '';
    return new ModelError('malformed', `${api} ${what} is not the documented shape (${at})`, 200, {
      cause: error,
    });
  };
  return {
    malformed,
    async complete(schema, body, req) {
      const signal = requestSignal(req);
      try {
        const res = await postJson(url, headers, body, req, signal, retry);
        const parsed = schema.safeParse(await readJson(res, signal));
        if (!parsed.success) throw malformed('response', parsed.error);
        return parsed.data;
      } finally {
        // A run makes many calls under one handler signal: leave no listener behind on it.
        releaseDeadline(signal);
      }
    },
    async open(body, req) {
      const signal = requestSignal(req);
      const res = await postJson(url, headers, body, req, signal, retry);
      if (res.body === null) throw new ModelError('malformed', `${api} stream has no body`);
      return { body: res.body, signal };
    },
    eventJson(what, data) {
      try {
        return JSON.parse(data);
      } catch (cause) {
        throw new ModelError('malformed', `${api} ${what} is not JSON`, 200, { cause });
      }
    },
  };
}
