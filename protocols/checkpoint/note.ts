import { decodeBase64Strict, decodeUtf8, encodeBase64, encodeUtf8 } from './encoding.ts';
import { NoteFormatError, NoteSignatureError, NoteUnverifiedError } from './errors.ts';
import { isValidKeyName, keyIdHex } from './key-id.ts';

/** Produces the signature bytes (without the key ID) over a note's text. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(text: Uint8Array): Uint8Array;
}

/** Checks signature bytes (without the key ID) over a note's text; false on any failure. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSignature {
  name: string;
  keyId: number;
  /** The signature bytes after the 4-byte key ID. */
  signature: Uint8Array;
}

/** A parsed, not yet verified, signed note. `text` includes its final newline. */
export interface Note {
  text: string;
  signatures: NoteSignature[];
}

export interface OpenedNote extends Note {
  /** Signatures from known keys, all verified. */
  verified: NoteSignature[];
}

/** Notes larger than this are refused before parsing (16 ML-DSA-44 lines are about 55 KiB). */
export const MAX_NOTE_BYTES = 1 << 20;
/** Signature lines beyond this are refused (c2sp.org/signed-note: accept at least 16). */
export const MAX_SIGNATURES = 100;

const SIG_PREFIX = '\u2014 ';

function checkText(text: string, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) {
      throw new NoteFormatError(`${what} has control character 0x${c.toString(16)} at ${i}`);
    }
  }
}

function asString(input: string | Uint8Array): string {
  const bytes = typeof input === 'string' ? encodeUtf8(input) : input;
  if (bytes.length > MAX_NOTE_BYTES) {
    throw new NoteFormatError(`note is ${bytes.length} bytes, more than ${MAX_NOTE_BYTES}`);
  }
  let s: string;
  try {
    s = decodeUtf8(bytes);
  } catch (err) {
    throw new NoteFormatError('note is not valid UTF-8', { cause: err });
  }
  // A JS string with lone surrogates encodes to U+FFFD: it was not valid text.
  if (typeof input === 'string' && s !== input)
    throw new NoteFormatError('note is not valid UTF-8');
  return s;
}

/** Check a note text before signing: non-empty, valid UTF-8, no control characters, ends in \n. */
export function checkNoteText(text: string): void {
  asString(text);
  if (text.length === 0 || !text.endsWith('\n')) {
    throw new NoteFormatError('note text must be non-empty and end with a newline');
  }
  checkText(text, 'note text');
}

/** Parse a signed note strictly (c2sp.org/signed-note); signatures are not checked here. */
export function parseNote(input: string | Uint8Array): Note {
  const s = asString(input);
  checkText(s, 'note');
  const split = s.lastIndexOf('\n\n');
  if (split < 0) throw new NoteFormatError('note has no blank line before its signatures');
  const text = s.slice(0, split + 1);
  const block = s.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) {
    throw new NoteFormatError('note signature block is empty or lacks its final newline');
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) {
    throw new NoteFormatError(`note has ${lines.length} signatures, more than ${MAX_SIGNATURES}`);
  }
  const signatures = lines.map((line, i) => {
    if (!line.startsWith(SIG_PREFIX)) {
      throw new NoteFormatError(`signature line ${i + 1} does not start with an em dash and space`);
    }
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const b64 = space < 0 ? '' : rest.slice(space + 1);
    if (!isValidKeyName(name)) throw new NoteFormatError(`signature line ${i + 1}: bad key name`);
    const raw = decodeBase64Strict(b64);
    if (!raw || raw.length < 5) {
      throw new NoteFormatError(`signature line ${i + 1}: not base64 of a key ID and signature`);
    }
    const keyId = new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0);
    return { name, keyId, signature: raw.subarray(4) };
  });
  return { text, signatures };
}

/** One signature line, without its newline. */
export function formatSignatureLine(sig: NoteSignature): string {
  const raw = new Uint8Array(4 + sig.signature.length);
  new DataView(raw.buffer).setUint32(0, sig.keyId);
  raw.set(sig.signature, 4);
  return `${SIG_PREFIX}${sig.name} ${encodeBase64(raw)}`;
}

/** Assemble a signed note from its text and signatures. */
export function formatNote(text: string, signatures: readonly NoteSignature[]): string {
  checkNoteText(text);
  if (signatures.length === 0) throw new NoteFormatError('a signed note needs a signature');
  for (const sig of signatures) {
    if (!isValidKeyName(sig.name)) throw new NoteFormatError(`bad key name ${sig.name}`);
  }
  return `${text}\n${signatures.map((s) => `${formatSignatureLine(s)}\n`).join('')}`;
}

/** Sign a note text with each signer, in order. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkNoteText(text);
  const bytes = encodeUtf8(text);
  return formatNote(
    text,
    signers.map((s) => ({ name: s.name, keyId: s.keyId, signature: s.sign(bytes) })),
  );
}

/** Add signatures to an already signed note (a witness cosigning a checkpoint). */
export function addSignatures(note: string, signatures: readonly NoteSignature[]): string {
  const parsed = parseNote(note);
  return formatNote(parsed.text, [...parsed.signatures, ...signatures]);
}

export interface OpenOptions {
  /** Every given verifier must have signed (default: at least one of them). */
  requireAll?: boolean;
}

/**
 * Parse and verify a note: signatures from unknown (name, key ID) pairs are ignored; a known key
 * whose signature fails rejects the whole note; at least one known key must have signed.
 * `verified` holds one signature per known key, in note order.
 */
export function openNote(
  input: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  options: OpenOptions = {},
): OpenedNote {
  const note = parseNote(input);
  const text = encodeUtf8(note.text);
  const verified: NoteSignature[] = [];
  const seen = new Set<NoteVerifier>();
  for (const sig of note.signatures) {
    const v = verifiers.find((x) => x.name === sig.name && x.keyId === sig.keyId);
    if (!v) continue;
    // Every line from a known key must verify, repeats included (Go's note.Open skips repeats
    // unchecked; checking them costs little and leaves no unverified bytes behind a known name).
    if (!v.verify(text, sig.signature)) {
      const id = `${sig.name}+${keyIdHex(sig.keyId)}`;
      throw new NoteSignatureError(`invalid signature for key ${id}`, sig.name, sig.keyId);
    }
    if (seen.has(v)) continue;
    seen.add(v);
    verified.push(sig);
  }
  if (verified.length === 0) throw new NoteUnverifiedError('no signature from a known key');
  if (options.requireAll) {
    const missing = verifiers.filter((v) => !seen.has(v));
    if (missing.length > 0) {
      const ids = missing.map((v) => `${v.name}+${keyIdHex(v.keyId)}`).join(', ');
      throw new NoteUnverifiedError(`note lacks a signature from ${ids}`);
    }
  }
  return { ...note, verified };
}
