import { createHash } from 'node:crypto';
import { Decoder, Encoder } from '@msgpack/msgpack';
import { z } from 'zod';
import { NamedError } from '../../protocols/named-error.ts';
import type { AuditEvent } from '../../runtime/index.ts';

/**
 * The audit batch: what one audit stream message carries, and so what one ledger leaf commits to
 * (docs/audit.md, "Batch format"). Canonical MessagePack:
 *
 *   [1, [event, event, …]]
 *
 * `1` is the format version. Each event is a map with exactly the keys actor, at, data, id,
 * kind, node, system, trace, written in that (sorted) order, as are the keys of every map inside
 * `data`; integers take their shortest form, floats are float64, undefined map values are left
 * out, bigints are 64-bit integers. The same events always give the same bytes.
 */
export const AUDIT_BATCH_VERSION = 1;

/** A batch whose bytes are not a canonical version-1 audit batch. */
export class AuditBatchError extends NamedError {}

/** An event that cannot be written as MessagePack (a function, a symbol, a cycle). */
export class AuditEncodeError extends NamedError {}

const encoder = new Encoder({ sortKeys: true, ignoreUndefined: true, useBigInt64: true });
const decoder = new Decoder({ useBigInt64: true });

/** The canonical bytes of one event (a fresh array). */
export function encodeAuditEvent(e: AuditEvent): Uint8Array {
  // Only the eight fields, whatever else the object carries.
  const plain = {
    actor: e.actor,
    at: e.at,
    data: e.data,
    id: e.id,
    kind: e.kind,
    node: e.node,
    system: e.system,
    trace: e.trace,
  };
  try {
    return encoder.encode(plain);
  } catch (cause) {
    throw new AuditEncodeError(
      `audit event ${e.id} (${e.kind}) cannot be encoded: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/** The MessagePack array header for n elements, shortest form. */
function arrayHeader(n: number): Uint8Array {
  if (n < 16) return Uint8Array.of(0x90 | n);
  if (n < 0x10000) return Uint8Array.of(0xdc, n >>> 8, n & 0xff);
  return Uint8Array.of(0xdd, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Bytes of the batch framing around `n` events: the outer array, the version, the inner array. */
export function batchOverhead(n: number): number {
  return 2 + arrayHeader(n).length;
}

/** Assemble a batch from events already encoded by encodeAuditEvent (no re-encoding). */
export function assembleAuditBatch(encoded: readonly Uint8Array[]): Uint8Array {
  const head = arrayHeader(encoded.length);
  let size = 2 + head.length;
  for (const e of encoded) size += e.length;
  const out = new Uint8Array(size);
  out[0] = 0x92;
  out[1] = AUDIT_BATCH_VERSION;
  out.set(head, 2);
  let at = 2 + head.length;
  for (const e of encoded) {
    out.set(e, at);
    at += e.length;
  }
  return out;
}

export function encodeAuditBatch(events: readonly AuditEvent[]): Uint8Array {
  return assembleAuditBatch(events.map(encodeAuditEvent));
}

/**
 * The batch's Nats-Msg-Id, from its events' ids: the same events always get the same id, so a
 * publisher retry is deduplicated by the stream. `ab1-` + 128 bits of SHA-256 over the ids, each
 * prefixed by its UTF-8 length (u32 BE), base64url.
 */
export function auditBatchId(ids: readonly string[]): string {
  const h = createHash('sha256');
  const len = Buffer.alloc(4);
  for (const id of ids) {
    const b = Buffer.from(id, 'utf8');
    len.writeUInt32BE(b.length);
    h.update(len);
    h.update(b);
  }
  return `ab1-${h.digest().subarray(0, 16).toString('base64url')}`;
}

const EventSchema = z
  .object({
    actor: z.string(),
    at: z.number().int().nonnegative(),
    data: z.record(z.string(), z.unknown()),
    id: z.string().min(1),
    kind: z.string().min(1),
    node: z.string(),
    system: z.string(),
    trace: z.string().nullable(),
  })
  .strict();

const BatchSchema = z.tuple([z.literal(AUDIT_BATCH_VERSION), z.array(EventSchema)]);

/**
 * Read a batch back (for `troupe ledger prove`, tools and tests). Strict: the bytes must be a
 * version-1 batch of well-formed events and re-encode to exactly themselves.
 */
export function decodeAuditBatch(bytes: Uint8Array): AuditEvent[] {
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (cause) {
    throw new AuditBatchError(`not MessagePack: ${(cause as Error).message}`, { cause });
  }
  const parsed = BatchSchema.safeParse(value);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new AuditBatchError(
      `not an audit batch: ${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
    );
  }
  const events = parsed.data[1] as AuditEvent[];
  if (!Buffer.from(encodeAuditBatch(events)).equals(Buffer.from(bytes))) {
    throw new AuditBatchError('not canonical: the events re-encode to other bytes');
  }
  return events;
}
