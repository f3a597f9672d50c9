import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';

/**
 * Who may call: a bearer token (`Authorization: Bearer …`) or an API key in a header. Either
 * one accepted is enough; with neither configured the server is open (loopback use only).
 */
export interface A2AAuth {
  readonly bearer?: readonly string[];
  readonly apiKey?: { readonly header: string; readonly keys: readonly string[] };
}

const Secret = z.string().min(16, 'at least 16 characters').max(4096);
export const A2AAuthSchema = z
  .object({
    bearer: z.array(Secret).min(1).optional(),
    apiKey: z
      .object({
        header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name'),
        keys: z.array(Secret).min(1),
      })
      .optional(),
  })
  .strict();

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The name of the credential that matched, or null. Constant time per candidate. */
export function authenticate(auth: A2AAuth | undefined, h: IncomingHttpHeaders): string | null {
  if (!auth || (!auth.bearer && !auth.apiKey)) return 'anonymous';
  const authz = header(h, 'authorization');
  if (auth.bearer && authz?.startsWith('Bearer ')) {
    const token = authz.slice(7).trim();
    if (auth.bearer.some((t) => same(t, token))) return 'bearer';
  }
  if (auth.apiKey) {
    const key = header(h, auth.apiKey.header);
    if (key !== undefined && auth.apiKey.keys.some((k) => same(k, key))) return 'api-key';
  }
  return null;
}
