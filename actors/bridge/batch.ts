import {
  ENVELOPE_VERSION,
  EnvelopeError,
  encodeBody,
  encodeEnvelope,
  Kind,
  MsgpackReader,
  MsgpackWriter,
  readEnvelope,
  writeEnvelope,
} from '../../protocols/envelope/index.ts';

/** The kernel refuses envelopes forwarded more often than this; the bridge drops them first. */
export const MAX_HOPS = 32;

/** An envelope in a forwarded batch that expects an answer (an ask, or a system request). */
export interface PendingRequest {
  readonly corr: number;
  readonly to: string;
  readonly type: string;
}

export interface WalkedBatch {
  /** What to publish: the input patched in place, a copy without dropped envelopes, or null. */
  readonly data: Uint8Array | null;
  /** Requests among the kept envelopes (only when asked to collect them). */
  readonly requests: PendingRequest[];
  /** Requests dropped for having gone round too many bridges: answer them with an error. */
  readonly overHops: PendingRequest[];
  readonly count: number;
  /** Envelopes whose deadline had passed: their askers have given up already. */
  readonly expired: number;
}

const FIELDS = 11;

/**
 * Walks a batch of envelopes as it enters this site: checks that every envelope is well formed
 * (throws EnvelopeError otherwise), adds one to each hop count, drops envelopes whose deadline
 * has passed or that exceeded MAX_HOPS, and optionally lists the requests. Bodies are never
 * parsed. Hop counts below 127 are single bytes and are patched in place.
 */
export function walkBatch(
  bytes: Uint8Array,
  options: { now: number; collectRequests: boolean },
): WalkedBatch {
  const r = new MsgpackReader(bytes);
  const requests: PendingRequest[] = [];
  const overHops: PendingRequest[] = [];
  /** Byte ranges to keep, and envelopes to re-encode, when something must change shape. */
  let pieces: Uint8Array[] | null = null;
  let keptFrom = 0;
  let count = 0;
  let expired = 0;
  if (bytes.length === 0) return { data: null, requests, overHops, count, expired };
  while (!r.done) {
    const start = r.pos;
    const n = r.arrayHeader();
    if (n !== FIELDS) {
      r.pos = start;
      readEnvelope(r); // throws the precise error
    }
    const version = r.uint();
    r.uint(); // id
    const kind = r.uint();
    // Strings are skipped, not decoded: only a request's `to` and `type` are ever read.
    const toAt = r.pos;
    skipStr(r);
    if (!r.nil()) skipStr(r);
    const typeAt = r.pos;
    skipStr(r);
    const corr = r.nil() ? null : r.uint();
    const deadline = r.uint();
    if (!r.nil()) skipStr(r);
    const hopsAt = r.pos;
    const hops = r.uint();
    r.bin();
    const end = r.pos;
    if (kind > Kind.system || version !== ENVELOPE_VERSION) {
      r.pos = start;
      readEnvelope(r); // throws the precise error
    }
    count++;
    const request =
      corr !== null && (kind === Kind.ask || kind === Kind.system)
        ? { corr, to: strAt(bytes, toAt), type: strAt(bytes, typeAt) }
        : null;
    const drop =
      deadline !== 0 && deadline <= options.now ? 'expired' : hops + 1 > MAX_HOPS ? 'hops' : null;
    // A positive fixint below 0x7f stays one byte after +1.
    const inPlace = bytes[hopsAt]! < 0x7f;
    if (drop === null && inPlace) {
      bytes[hopsAt] = hops + 1;
      if (request && options.collectRequests) requests.push(request);
      continue;
    }
    // Something changes shape: keep what came before, then this envelope rewritten or dropped.
    pieces ??= [];
    if (start > keptFrom) pieces.push(bytes.subarray(keptFrom, start));
    keptFrom = end;
    if (drop === 'expired') expired++;
    else if (drop === 'hops') {
      if (request) overHops.push(request);
    } else {
      const e = readEnvelope(new MsgpackReader(bytes.subarray(start, end)));
      pieces.push(encodeEnvelope({ ...e, hops: e.hops + 1 }));
      if (request && options.collectRequests) requests.push(request);
    }
  }
  if (pieces === null) return { data: bytes, requests, overHops, count, expired };
  if (keptFrom < bytes.length) pieces.push(bytes.subarray(keptFrom));
  let total = 0;
  for (const p of pieces) total += p.length;
  if (total === 0) return { data: null, requests, overHops, count, expired };
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of pieces) {
    out.set(p, o);
    o += p.length;
  }
  return { data: out, requests, overHops, count, expired };
}

/** Steps over a MessagePack string, checking its header and bounds. */
function skipStr(r: MsgpackReader): void {
  const b = r.buf;
  const t = b[r.pos];
  let len: number;
  let head: number;
  if (t === undefined) throw new EnvelopeError('truncated envelope');
  if ((t & 0xe0) === 0xa0) {
    len = t & 0x1f;
    head = 1;
  } else if (t === 0xd9) {
    len = b[r.pos + 1] ?? -1;
    head = 2;
  } else if (t === 0xda) {
    len = ((b[r.pos + 1] ?? 0) << 8) | (b[r.pos + 2] ?? 0);
    head = 3;
  } else {
    // Rare (≥ 64 KiB) or not a string: let the full reader decide.
    r.str();
    return;
  }
  if (len < 0 || r.pos + head + len > b.length) throw new EnvelopeError('truncated envelope');
  r.pos += head + len;
}

function strAt(bytes: Uint8Array, at: number): string {
  return new MsgpackReader(bytes, at).str();
}

/**
 * A batch of error envelopes answering `requests` (to the asker node's reply subject), with
 * the kernel's wire error shape so each asker gets the typed error back.
 */
export function errorBatch(
  requests: readonly PendingRequest[],
  error: (req: PendingRequest) => { code: string; message: string; detail?: unknown },
): Uint8Array {
  const w = new MsgpackWriter(128 * requests.length + 64);
  let id = 0;
  for (const req of requests) {
    writeEnvelope(w, {
      id: ++id,
      kind: Kind.error,
      to: req.to,
      from: null,
      type: req.type,
      corr: req.corr,
      deadline: 0,
      trace: null,
      hops: 0,
      body: encodeBody(error(req)),
    });
  }
  return w.buf.slice(0, w.pos);
}
