import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addSignatures,
  CheckpointFormatError,
  cosignatureTimestamp,
  ed25519CosignatureVerifier,
  ed25519Cosigner,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatCheckpoint,
  formatSkey,
  KeyFormatError,
  mldsa44Cosigner,
  mldsa44Verifier,
  NoteFormatError,
  NoteSignatureError,
  NoteUnverifiedError,
  nobleEd25519,
  nodeEd25519,
  openNote,
  parseCheckpoint,
  parseNote,
  parseSkey,
  parseVkey,
  SignatureType,
  signerFromSeed,
  signNote,
  verifierFromVkey,
  vkeyOf,
} from '../../protocols/checkpoint/index.ts';

const ORIGIN = 'audit.example.internal/agents/ledger-test';
const root = new Uint8Array(32).fill(7);
const body = formatCheckpoint({ origin: ORIGIN, size: 1234567n, root, extensions: [] });

describe('Ed25519 backends', () => {
  it('node:crypto and @noble/curves give identical keys and signatures and verify each other', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, msg) => {
          const a = nodeEd25519.keyPair(seed);
          const b = nobleEd25519.keyPair(seed);
          expect(Buffer.from(a.publicKey).equals(Buffer.from(b.publicKey))).toBe(true);
          const sa = a.sign(msg);
          const sb = b.sign(msg);
          expect(Buffer.from(sa).equals(Buffer.from(sb))).toBe(true);
          expect(nodeEd25519.verifier(b.publicKey)(msg, sb)).toBe(true);
          expect(nobleEd25519.verifier(a.publicKey)(msg, sa)).toBe(true);
          const bad = sa.slice();
          bad[msg.length % 64]! ^= 1;
          expect(nodeEd25519.verifier(a.publicKey)(msg, bad)).toBe(false);
          expect(nobleEd25519.verifier(a.publicKey)(msg, bad)).toBe(false);
          expect(nodeEd25519.verifier(a.publicKey)(msg, sa.subarray(1))).toBe(false);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('tlog-checkpoint bodies', () => {
  it('round trip with and without extension lines', () => {
    expect(body).toBe(`${ORIGIN}\n1234567\n${Buffer.from(root).toString('base64')}\n`);
    expect(parseCheckpoint(body)).toEqual({ origin: ORIGIN, size: 1234567n, root, extensions: [] });
    const ext = formatCheckpoint({ origin: ORIGIN, size: 0n, root, extensions: ['a b', 'c'] });
    expect(parseCheckpoint(ext).extensions).toEqual(['a b', 'c']);
  });

  it.each([
    ['no final newline', body.slice(0, -1)],
    ['leading zero', body.replace('\n1234567\n', '\n01234567\n')],
    ['signed size', body.replace('\n1234567\n', '\n-1\n')],
    ['size beyond u64', body.replace('\n1234567\n', `\n${2n ** 64n}\n`)],
    ['short root', `${ORIGIN}\n1\n${Buffer.alloc(31).toString('base64')}\n`],
    ['non-canonical base64 root', body.replace(/=\n$/, 'x\n')],
    ['empty origin', body.replace(ORIGIN, '')],
    ['empty extension line', `${body}\n`],
    ['two lines', `${ORIGIN}\n1\n`],
  ])('rejects %s', (_, text) => {
    expect(() => parseCheckpoint(text)).toThrow(CheckpointFormatError);
  });
});

describe('signed notes', () => {
  const edSeed = randomBytes(32);
  const pqSeed = randomBytes(32);
  const log = ed25519NoteSigner(ORIGIN, edSeed);
  const pq = mldsa44Cosigner(ORIGIN, pqSeed, { now: () => 1_700_000_000_500 });
  const logV = ed25519NoteVerifier(ORIGIN, log.publicKey);
  const pqV = mldsa44Verifier(ORIGIN, pq.publicKey);

  it('a checkpoint signed with Ed25519 and an ML-DSA-44 cosignature opens with both keys', () => {
    const note = signNote(body, [log, pq]);
    const opened = openNote(note, [logV, pqV], { requireAll: true });
    expect(opened.text).toBe(body);
    expect(opened.verified).toHaveLength(2);
    expect(cosignatureTimestamp(opened.verified[1]!.signature)).toBe(1_700_000_000n);
    expect(note.split('\n').filter((l) => l.startsWith('\u2014 '))).toHaveLength(2);
  });

  it('the key IDs differ per signature type for the same name', () => {
    expect(log.keyId).not.toBe(pq.keyId);
    expect(parseVkey(vkeyOf(log))).toMatchObject({ type: 1, keyId: log.keyId });
    expect(parseVkey(vkeyOf(pq))).toMatchObject({ type: 6, keyId: pq.keyId });
  });

  it('ignores unknown keys, rejects a bad known signature, needs one known signer', () => {
    const stranger = ed25519NoteSigner('stranger.example', randomBytes(32));
    const note = signNote(body, [stranger, log]);
    expect(openNote(note, [logV]).verified.map((s) => s.name)).toEqual([ORIGIN]);
    expect(() => openNote(note, [ed25519NoteVerifier('stranger.example', log.publicKey)])).toThrow(
      NoteUnverifiedError,
    );
    // Same name, unknown key ID: ignored, so nothing known remains.
    const impostor = ed25519NoteSigner(ORIGIN, randomBytes(32));
    expect(() => openNote(signNote(body, [impostor]), [logV])).toThrow(NoteUnverifiedError);
    // Known name and ID, signature of other text: the whole note is rejected.
    const other = signNote(body.replace('1234567', '1234568'), [log]);
    const forged = `${body}\n${other.split('\n\n')[1]}`;
    expect(() => openNote(forged, [logV])).toThrow(NoteSignatureError);
    expect(() => openNote(signNote(body, [log]), [logV, pqV], { requireAll: true })).toThrow(
      NoteUnverifiedError,
    );
  });

  it('ML-DSA-44 cosignatures do not cover extension lines; Ed25519 signatures do', () => {
    const ext = formatCheckpoint({ origin: ORIGIN, size: 5n, root, extensions: ['note'] });
    const note = signNote(ext, [log, pq]);
    const changed = note.replace('\nnote\n', '\nnope\n');
    expect(() => openNote(changed, [logV])).toThrow(NoteSignatureError);
    expect(openNote(changed, [pqV]).verified).toHaveLength(1);
  });

  it('a witness adds an Ed25519 cosignature/v1 line to a log-signed checkpoint', () => {
    const witness = ed25519Cosigner('witness.example/w1', randomBytes(32), {
      now: () => 1_679_315_147_000,
    });
    const signed = signNote(body, [log]);
    const cosigned = addSignatures(signed, [
      { name: witness.name, keyId: witness.keyId, signature: witness.sign(Buffer.from(body)) },
    ]);
    const wv = ed25519CosignatureVerifier(witness.name, witness.publicKey);
    const opened = openNote(cosigned, [logV, wv], { requireAll: true });
    expect(cosignatureTimestamp(opened.verified[1]!.signature)).toBe(1_679_315_147n);
    // A cosignature/v1 is not a plain Ed25519 signature over the text, and vice versa.
    expect(wv.verify(Buffer.from(body), log.sign(Buffer.from(body)))).toBe(false);
    expect(() => witness.sign(Buffer.from('not a checkpoint\n'))).toThrow(CheckpointFormatError);
  });

  it.each([
    ['no blank line', `${body}\u2014 a AAAAAAA=\n`],
    ['no final newline', signNote(body, [log]).slice(0, -1)],
    ['control character', signNote(body, [log]).replace(ORIGIN, `${ORIGIN}\t`)],
    ['carriage return', signNote(body, [log]).replace(/\n$/, '\r\n')],
    ['hyphen instead of em dash', signNote(body, [log]).replace('\u2014 ', '- ')],
    ['name with a plus', signNote(body, [log]).replace(`\u2014 ${ORIGIN}`, '\u2014 a+b')],
    [
      'name with a no-break space',
      signNote(body, [log]).replace(`\u2014 ${ORIGIN}`, '\u2014 a\u00a0b'),
    ],
    ['no signature', `${body}\n`],
    ['short signature', `${body}\n\u2014 a AAAA\n`],
    ['non-canonical base64 (stray bits)', `${body}\n\u2014 a AAAAAAB=\n`],
    ['base64 without padding', signNote(body, [log]).replace(/=\n$/, '\n')],
  ])('rejects a note with %s', (_, note) => {
    expect(() => parseNote(note)).toThrow(NoteFormatError);
  });

  it('refuses to sign text without a final newline or with control characters', () => {
    expect(() => signNote('abc', [log])).toThrow(NoteFormatError);
    expect(() => signNote('a\x00b\n', [log])).toThrow(NoteFormatError);
    expect(() => signNote('', [log])).toThrow(NoteFormatError);
  });

  it('skeys round trip for every type and reject a key ID that does not match', () => {
    for (const type of [
      SignatureType.ed25519,
      SignatureType.ed25519Cosignature,
      SignatureType.mldsa44,
    ]) {
      const seed = randomBytes(32);
      const skey = formatSkey('k.example/1', type, seed);
      const parsed = parseSkey(skey);
      expect(parsed.type).toBe(type);
      expect(Buffer.from(parsed.seed).equals(seed)).toBe(true);
      const signer = signerFromSeed('k.example/1', type, seed);
      const v = verifierFromVkey(vkeyOf(signer));
      expect(v.keyId).toBe(signer.keyId);
      const mangled = skey.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
      expect(() => parseSkey(mangled)).toThrow(KeyFormatError);
    }
    expect(() => formatSkey('k', 0x02, randomBytes(32))).toThrow(KeyFormatError);
  });
});
