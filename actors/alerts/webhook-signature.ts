import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers a signed webhook carries. */
export const TIMESTAMP_HEADER = 'x-troupe-timestamp';
export const SIGNATURE_HEADER = 'x-troupe-signature';

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the timestamp is signed too. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * For receivers: the signature must match and the timestamp (unix seconds) be within
 * `toleranceS` of now, so a captured request cannot be replayed later.
 */
export function verifyWebhook(
  secret: string,
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  body: string,
  toleranceS = 300,
  nowMs = Date.now(),
): { ok: true } | { ok: false; reason: string } {
  const ts = Number(timestampHeader);
  if (!timestampHeader || !Number.isInteger(ts)) return { ok: false, reason: 'no timestamp' };
  if (Math.abs(nowMs / 1000 - ts) > toleranceS)
    return { ok: false, reason: 'timestamp outside the tolerance' };
  if (!signatureHeader) return { ok: false, reason: 'no signature' };
  const want = Buffer.from(signWebhook(secret, ts, body));
  const got = Buffer.from(signatureHeader);
  if (want.length !== got.length || !timingSafeEqual(want, got))
    return { ok: false, reason: 'bad signature' };
  return { ok: true };
}
