// Signed notes, checkpoints and cosignatures against other implementations' bytes:
// golang.org/x/mod sumdb/note note_test.go (BSD-3-Clause), the C2SP signed-note,
// tlog-checkpoint and tlog-cosignature examples (CC-BY-4.0), and transparency-dev/formats
// note/note_cosigv1_test.go (Apache-2.0), whose ML-DSA-44 vector was made by filippo.io/torchwood.
import { describe, expect, it } from 'vitest';
import {
  cosignatureTimestamp,
  ed25519NoteSigner,
  KeyFormatError,
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
  signNote,
  verifierFromVkey,
} from '../../protocols/checkpoint/index.ts';
import * as torchwood from './data/torchwood-mldsa44.ts';

const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n";
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

describe('golang.org/x/mod sumdb/note', () => {
  it('parses the vkey and skey and checks their key IDs', () => {
    const v = parseVkey(PETER_VKEY);
    expect(v).toMatchObject({ name: 'PeterNeumann', keyId: 0xc74f20a3, type: 1 });
    const s = parseSkey(PETER_SKEY);
    expect(s).toMatchObject({ name: 'PeterNeumann', keyId: 0xc74f20a3, type: 1 });
  });

  it('signs the note byte for byte, with node:crypto and @noble alike', () => {
    const { seed } = parseSkey(PETER_SKEY);
    for (const backend of [nodeEd25519, nobleEd25519]) {
      const note = signNote(TEXT, [ed25519NoteSigner('PeterNeumann', seed, backend)]);
      expect(note).toBe(`${TEXT}\n${PETER_SIG}`);
    }
  });

  it('opens with one known and one unknown signer, then with both', () => {
    const peter = verifierFromVkey(PETER_VKEY);
    const enoch = verifierFromVkey(ENOCH_VKEY);
    const note = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    const one = openNote(note, [peter]);
    expect(one.text).toBe(TEXT);
    expect(one.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(one.signatures).toHaveLength(2);
    const both = openNote(note, [peter, enoch], { requireAll: true });
    expect(both.verified.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(() => openNote(note, [])).toThrow(NoteUnverifiedError);
  });

  it('rejects a bad signature from a known key', () => {
    const bad = `${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    expect(() => openNote(bad, [verifierFromVkey(PETER_VKEY)])).toThrow(NoteSignatureError);
  });

  it('rejects the malformed messages of TestOpen', () => {
    const peter = verifierFromVkey(PETER_VKEY);
    const bad = [
      TEXT,
      `${TEXT}\n`,
      `${TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\x01${TEXT}\n${PETER_SIG}`,
      `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${TEXT}\n${PETER_SIG.repeat(101)}`,
    ];
    for (const msg of bad) expect(() => openNote(msg, [peter])).toThrow(NoteFormatError);
    const invalidUtf8 = Buffer.concat([Buffer.from([0xff]), Buffer.from(`${TEXT}\n${PETER_SIG}`)]);
    expect(() => openNote(invalidUtf8, [peter])).toThrow(NoteFormatError);
  });

  it('rejects every substring and every one-byte mangling of the vkey (TestNewVerifier)', () => {
    const b = Buffer.from(PETER_VKEY);
    for (let i = 0; i <= b.length; i++) {
      for (let j = i + 1; j <= b.length; j++) {
        if (i === 0 && j === b.length) continue;
        expect(() => verifierFromVkey(b.subarray(i, j).toString()), `${i}:${j}`).toThrow();
      }
    }
    for (let i = 0; i < b.length; i++) {
      b[i]!++;
      expect(() => verifierFromVkey(b.toString())).toThrow();
      b[i]!--;
    }
    // Wrong key length and unknown algorithm, each with a key ID adjusted to match.
    expect(() =>
      parseVkey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='),
    ).toThrow(KeyFormatError);
    expect(() =>
      parseVkey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
    ).toThrow(KeyFormatError);
  });
});

describe('C2SP examples', () => {
  it('signed-note: the example vkey verifies the example note', () => {
    const vkey = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
    const note =
      'This is an example message.\n\n' +
      '— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
    const opened = openNote(note, [verifierFromVkey(vkey)]);
    expect(opened.text).toBe('This is an example message.\n');
    const tampered = note.replace('example message', 'example massage');
    expect(() => openNote(tampered, [verifierFromVkey(vkey)])).toThrow(NoteSignatureError);
  });

  it('tlog-checkpoint and tlog-cosignature: the example checkpoint and its witness timestamp', () => {
    const note =
      'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
      '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n' +
      '— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';
    const parsed = parseNote(note);
    const cp = parseCheckpoint(parsed.text);
    expect(cp.origin).toBe('example.com/behind-the-sofa');
    expect(cp.size).toBe(20852163n);
    expect(cp.extensions).toEqual([]);
    // The spec's cosigned message shows "time 1679315147" for this cosignature.
    expect(cosignatureTimestamp(parsed.signatures[1]!.signature)).toBe(1679315147n);
    expect(parsed.signatures[1]!.signature).toHaveLength(8 + 64);
  });
});

describe('transparency-dev/formats cosignature/v1', () => {
  it('vkeys of each type have the key IDs their producers computed', () => {
    expect(parseVkey('TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6').type).toBe(
      SignatureType.ed25519,
    );
    expect(
      parseVkey('remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2').type,
    ).toBe(SignatureType.ed25519Cosignature);
    expect(parseVkey(torchwood.TORCHWOOD_VKEY)).toMatchObject({
      name: 'witness.example/w1',
      keyId: 0x7118e8f9,
      type: SignatureType.mldsa44,
    });
    expect(() =>
      parseVkey('rekor.sigstore.dev+00000000+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2'),
    ).toThrow(KeyFormatError);
  });

  it('cosignature timestamp (TestCosignatureTimestamp)', () => {
    const raw = Buffer.from(
      'ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==',
      'base64',
    );
    expect(cosignatureTimestamp(raw.subarray(4))).toBe(1727964367n);
  });

  it('verifies the ML-DSA-44 subtree cosignature torchwood made', () => {
    const key = parseVkey(torchwood.TORCHWOOD_VKEY);
    const v = mldsa44Verifier(key.name, key.publicKey);
    const line = parseNote(`x\n\n${torchwood.TORCHWOOD_SIGNATURE_LINE}\n`).signatures[0]!;
    expect(line.keyId).toBe(key.keyId);
    const statement = {
      origin: torchwood.TORCHWOOD_ORIGIN,
      start: torchwood.TORCHWOOD_START,
      end: torchwood.TORCHWOOD_END,
      hash: Buffer.from(torchwood.TORCHWOOD_ROOT, 'base64'),
    };
    expect(v.verifySubtree(statement, line.signature)).toBe(true);
    expect(v.verifySubtree({ ...statement, end: 14n }, line.signature)).toBe(false);
    expect(v.verifySubtree({ ...statement, origin: 'example.com/other' }, line.signature)).toBe(
      false,
    );
    const flipped = line.signature.slice();
    flipped[100]! ^= 1;
    expect(v.verifySubtree(statement, flipped)).toBe(false);
  });
});
