import { randomBytes } from 'node:crypto';

/*
 * W3C traceparent: 00-<32 hex trace id>-<16 hex span id>-<flags>. Ids come from a random
 * per-process prefix plus a counter: unique, cheap, and never zero as the spec requires.
 */
const TRACE_PREFIX = randomBytes(8).toString('hex');
const SPAN_PREFIX = randomBytes(4).toString('hex');
let counter = 0;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Start a new trace. */
export function newTraceparent(): string {
  const c = (++counter).toString(16).padStart(16, '0');
  return `00-${TRACE_PREFIX}${c}-${SPAN_PREFIX}${c.slice(8)}-01`;
}

/** A child span of `parent`: same trace id, fresh span id, same flags. */
export function childTraceparent(parent: string): string {
  const c = (++counter).toString(16).padStart(8, '0').slice(-8);
  return `${parent.slice(0, 36)}${SPAN_PREFIX}${c}${parent.slice(52)}`;
}

export function isTraceparent(s: unknown): s is string {
  return (
    typeof s === 'string' && TRACEPARENT.test(s) && !/^00-0{32}-/.test(s) && !/-0{16}-/.test(s)
  );
}

/** The trace id of a traceparent, for log lines. */
export function traceIdOf(traceparent: string | null): string | undefined {
  return traceparent ? traceparent.slice(3, 35) : undefined;
}
