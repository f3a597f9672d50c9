import { Encoder } from '@msgpack/msgpack';
import { decodeBodyFast, writeBodyBin } from './body-codec.ts';
import { ENVELOPE_VERSION, type Envelope, type Kind } from './envelope.ts';
import { EnvelopeError } from './errors.ts';
import { MsgpackReader } from './reader.ts';
import { MsgpackWriter } from './writer.ts';

const FIELDS = 11;
const MAX_KIND = 4;

/** The header fields, in wire order; the body comes last. See docs/architecture.md. */
function writeHeader(w: MsgpackWriter, e: Omit<Envelope, 'body'>): void {
  w.arrayHeader(FIELDS);
  w.uint(ENVELOPE_VERSION);
  w.uint(e.id);
  w.uint(e.kind);
  w.str(e.to);
  if (e.from === null) w.nil();
  else w.str(e.from);
  w.str(e.type);
  if (e.corr === null) w.nil();
  else w.uint(e.corr);
  w.uint(e.deadline);
  if (e.trace === null) w.nil();
  else w.str(e.trace);
  w.uint(e.hops);
}

/** Append one envelope whose body is already encoded. */
export function writeEnvelope(w: MsgpackWriter, e: Envelope): void {
  writeHeader(w, e);
  w.bin(e.body);
}

/**
 * Append one envelope whose body is still a value: the body is encoded straight into the
 * batch, with no intermediate buffer (the hot path of every NATS send).
 */
export function writeEnvelopeWithBody(
  w: MsgpackWriter,
  e: Omit<Envelope, 'body'>,
  body: unknown,
): void {
  writeHeader(w, e);
  writeBodyBin(w, body);
}

/** One envelope as its own byte array. */
export function encodeEnvelope(e: Envelope): Uint8Array {
  const w = new MsgpackWriter(64 + e.body.length + e.to.length + e.type.length);
  writeEnvelope(w, e);
  return w.buf.subarray(0, w.pos);
}

/** Read one envelope at the reader's position. The body is a view into the input. */
export function readEnvelope(r: MsgpackReader): Envelope {
  const n = r.arrayHeader();
  if (n !== FIELDS) throw new EnvelopeError(`envelope has ${n} fields, expected ${FIELDS}`);
  const v = r.uint();
  if (v !== ENVELOPE_VERSION) throw new EnvelopeError(`unsupported envelope version ${v}`);
  const id = r.uint();
  const kind = r.uint();
  if (kind > MAX_KIND) throw new EnvelopeError(`unknown envelope kind ${kind}`);
  const to = r.str();
  const from = r.nil() ? null : r.str();
  const type = r.str();
  const corr = r.nil() ? null : r.uint();
  const deadline = r.uint();
  const trace = r.nil() ? null : r.str();
  const hops = r.uint();
  const body = r.bin();
  return { id, kind: kind as Kind, to, from, type, corr, deadline, trace, hops, body };
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const r = new MsgpackReader(bytes);
  const e = readEnvelope(r);
  if (!r.done) throw new EnvelopeError('trailing bytes after envelope');
  return e;
}

/** Every envelope of a batch (envelopes back to back). Throws on the first malformed one. */
export function decodeBatch(bytes: Uint8Array): Envelope[] {
  if (bytes.length === 0) throw new EnvelopeError('empty batch');
  const r = new MsgpackReader(bytes);
  const out: Envelope[] = [];
  while (!r.done) out.push(readEnvelope(r));
  return out;
}

const bodyEncoder = new Encoder({ ignoreUndefined: true });

/**
 * A body's bytes. The result is a view into a shared buffer, valid until the next call:
 * copy it (writeEnvelope does) before encoding another body.
 */
export function encodeBodyShared(value: unknown): Uint8Array {
  try {
    return bodyEncoder.encodeSharedRef(value);
  } catch (cause) {
    throw new EnvelopeError(`body cannot be encoded as MessagePack: ${String(cause)}`, { cause });
  }
}

/** A body's bytes in an array of its own. */
export function encodeBody(value: unknown): Uint8Array {
  return encodeBodyShared(value).slice();
}

export function decodeBody(bytes: Uint8Array): unknown {
  return decodeBodyFast(bytes);
}
