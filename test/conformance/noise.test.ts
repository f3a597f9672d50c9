import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CryptoBackend,
  fromHex,
  nobleBackend,
  nodeBackend,
  toHex,
  x25519KeyPair,
} from '../../protocols/crypto/index.ts';
import {
  CipherState,
  type HandshakeResult,
  HandshakeState,
  NOISE_XX,
  NOISE_XXHFS,
  protocolByName,
} from '../../protocols/noise/index.ts';
import { filesUnder, vectorsRoot } from './vectors.ts';

const backends: CryptoBackend[] = [nodeBackend, nobleBackend];
const root = vectorsRoot();

interface CacophonyVector {
  protocol_name: string;
  init_prologue: string;
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  init_psks?: string[];
  resp_prologue: string;
  resp_static?: string;
  resp_ephemeral?: string;
  resp_remote_static?: string;
  resp_psks?: string[];
  /** Optional in the cacophony format: other Noise implementations' files omit it. */
  handshake_hash?: string;
  messages: { payload: string; ciphertext: string }[];
}

interface HfsVector {
  protocol_name: string;
  static_i_private: string;
  static_i_public?: string;
  static_r_private: string;
  static_r_public?: string;
  ephemeral_dh_i_private: string;
  ephemeral_dh_r_private: string;
  ephemeral_kem_i_seed: string;
  encap_m: string;
  prologue?: string;
  payload_a?: string;
  payload_b?: string;
  payload_c?: string;
  msg_a?: string;
  msg_b?: string;
  msg_c?: string;
  msg_a_bytes: number;
  msg_b_bytes: number;
  msg_c_bytes: number;
  handshake_hash: string;
  cs1_k: string;
  cs2_k: string;
  transport?: { payload: string; ciphertext: string }[];
}

const hex = (s: string | undefined) => fromHex(s ?? '');

/** The cipher state holds `key` at its current nonce: checked by sealing the same probe. */
function expectKey(cs: CipherState, key: string, backend: CryptoBackend): void {
  const reference = new CipherState(backend, fromHex(key));
  reference.setNonce(cs.nonce);
  const probe = new TextEncoder().encode('key probe');
  expect(toHex(cs.encryptWithAd(new Uint8Array(0), probe))).toBe(
    toHex(reference.encryptWithAd(new Uint8Array(0), probe)),
  );
}

/** Transport messages alternate after the handshake: an even index is the initiator's turn. */
function expectTransport(
  a: HandshakeResult,
  b: HandshakeResult,
  messages: readonly { payload: string; ciphertext: string }[],
  firstIndex: number,
): void {
  const empty = new Uint8Array(0);
  for (const [j, m] of messages.entries()) {
    const [w, r] = (firstIndex + j) % 2 === 0 ? [a, b] : [b, a];
    expect(toHex(w.send.encryptWithAd(empty, hex(m.payload)))).toBe(m.ciphertext);
    expect(toHex(r.receive.decryptWithAd(empty, hex(m.ciphertext)))).toBe(m.payload);
  }
}

/** One side of a cacophony vector: its `init_…` or `resp_…` prologue, static and ephemeral. */
function cacophonyParty(
  v: CacophonyVector,
  side: 'init' | 'resp',
  backend: CryptoBackend,
): HandshakeState {
  return new HandshakeState({
    protocol: protocolByName(v.protocol_name)!,
    initiator: side === 'init',
    backend,
    prologue: hex(v[`${side}_prologue`]),
    staticKey: x25519KeyPair(backend, hex(v[`${side}_static`])),
    ephemeralPrivateKey: hex(v[`${side}_ephemeral`]),
  });
}

function runCacophony(v: CacophonyVector, backend: CryptoBackend): void {
  const protocol = protocolByName(v.protocol_name)!;
  const init = cacophonyParty(v, 'init', backend);
  const resp = cacophonyParty(v, 'resp', backend);
  const handshakeLength = protocol.messages.length;
  for (let i = 0; i < handshakeLength; i++) {
    const m = v.messages[i]!;
    const [w, r] = i % 2 === 0 ? [init, resp] : [resp, init];
    expect(toHex(w.writeMessage(hex(m.payload)))).toBe(m.ciphertext);
    expect(toHex(r.readMessage(hex(m.ciphertext)))).toBe(m.payload);
  }
  const a = init.split();
  const b = resp.split();
  // Both sides must agree; the vector's value is checked when the file has one.
  expect(toHex(a.handshakeHash)).toBe(toHex(b.handshakeHash));
  if (v.handshake_hash !== undefined) expect(toHex(a.handshakeHash)).toBe(v.handshake_hash);
  // Transport keeps alternating: even indexes initiator→responder.
  expectTransport(a, b, v.messages.slice(handshakeLength), handshakeLength);
}

function runHfs(v: HfsVector, backend: CryptoBackend): void {
  const protocol = protocolByName(v.protocol_name);
  expect(protocol, `protocol ${v.protocol_name}`).toBe(NOISE_XXHFS);
  const si = x25519KeyPair(backend, hex(v.static_i_private));
  const sr = x25519KeyPair(backend, hex(v.static_r_private));
  if (v.static_i_public) expect(toHex(si.publicKey)).toBe(v.static_i_public);
  if (v.static_r_public) expect(toHex(sr.publicKey)).toBe(v.static_r_public);
  const init = new HandshakeState({
    protocol: NOISE_XXHFS,
    initiator: true,
    backend,
    prologue: hex(v.prologue),
    staticKey: si,
    ephemeralPrivateKey: hex(v.ephemeral_dh_i_private),
    kemSeed: hex(v.ephemeral_kem_i_seed),
    verifyRemoteStatic: (k) => toHex(k) === toHex(sr.publicKey),
  });
  const resp = new HandshakeState({
    protocol: NOISE_XXHFS,
    initiator: false,
    backend,
    prologue: hex(v.prologue),
    staticKey: sr,
    ephemeralPrivateKey: hex(v.ephemeral_dh_r_private),
    kemEncapsulationRandomness: hex(v.encap_m),
    verifyRemoteStatic: (k) => toHex(k) === toHex(si.publicKey),
  });
  const steps = [
    [init, resp, v.payload_a, v.msg_a, v.msg_a_bytes],
    [resp, init, v.payload_b, v.msg_b, v.msg_b_bytes],
    [init, resp, v.payload_c, v.msg_c, v.msg_c_bytes],
  ] as const;
  for (const [w, r, payload, expected, bytes] of steps) {
    const msg = w.writeMessage(hex(payload));
    expect(msg.length).toBe(bytes);
    if (expected) expect(toHex(msg)).toBe(expected);
    expect(toHex(r.readMessage(msg))).toBe(payload ?? '');
  }
  const a = init.split();
  const b = resp.split();
  expect(toHex(a.handshakeHash)).toBe(v.handshake_hash);
  expect(toHex(b.handshakeHash)).toBe(v.handshake_hash);
  expectTransport(a, b, v.transport ?? [], 0);
  expectKey(a.send, v.cs1_k, backend);
  expectKey(b.receive, v.cs1_k, backend);
  expectKey(b.send, v.cs2_k, backend);
  expectKey(a.receive, v.cs2_k, backend);
}

// Exactly one of the two suites is defined, so a run never reports a skipped test.
if (root)
  describe('Noise conformance (third-party vectors)', () => {
    it('runs every Noise_XX_25519_ChaChaPoly_SHA256 vector of every file in noise/, both backends', () => {
      let run = 0;
      let skipped = 0;
      const skippedNames = new Set<string>();
      for (const v of cacophonyVectors(root)) {
        // Only the protocols troupe speaks, and only without PSKs (psk modifiers change the name).
        if (protocolByName(v.protocol_name) !== NOISE_XX) {
          skipped++;
          skippedNames.add(v.protocol_name);
          continue;
        }
        for (const backend of backends) runCacophony(v, backend);
        run++;
      }
      console.log(
        `noise vectors: ${run} Noise_XX_25519_ChaChaPoly_SHA256 run on ${backends.length} backends, ` +
          `${skipped} vectors of ${skippedNames.size} other protocols skipped`,
      );
      expect(run).toBeGreaterThan(0);
    });

    it('runs a vector without handshake_hash and still checks every message', () => {
      const v = [...cacophonyVectors(root)].find(
        (x) => protocolByName(x.protocol_name) === NOISE_XX && x.messages.length > 3,
      );
      expect(v).toBeDefined();
      const { handshake_hash: _h, ...bare } = v!;
      for (const backend of backends) runCacophony(bare, backend);
      // Every message is still compared: one flipped byte in any of them fails the run.
      for (let i = 0; i < bare.messages.length; i++) {
        const messages = bare.messages.map((m, j) =>
          j === i ? { ...m, ciphertext: flipFirstByte(m.ciphertext) } : m,
        );
        expect(() => runCacophony({ ...bare, messages }, nodeBackend)).toThrow();
      }
    });

    const hfsFiles = filesUnder(join(root, 'noise-hfs'));
    it.each(hfsFiles.map((f) => [basename(f), f]))('noise-hfs %s, both backends', (_name, file) => {
      const v = JSON.parse(readFileSync(file, 'utf8')) as HfsVector;
      for (const backend of backends) runHfs(v, backend);
    });
  });
else
  describe('Noise conformance', () => {
    it('has no vectors folder to read (set TROUPE_VECTORS)', () => {
      console.log('noise conformance not run: no vectors folder; set TROUPE_VECTORS');
    });
  });

/** Every vector of every cacophony file under noise/ (the LICENSE files aside). */
function* cacophonyVectors(root: string): Generator<CacophonyVector> {
  for (const file of filesUnder(join(root, 'noise'))) {
    if (basename(file).startsWith('LICENSE')) continue;
    const { vectors } = JSON.parse(readFileSync(file, 'utf8')) as {
      vectors: CacophonyVector[];
    };
    yield* vectors;
  }
}

function flipFirstByte(hexText: string): string {
  const b = fromHex(hexText);
  if (b.length > 0) b[0]! ^= 1;
  return toHex(b);
}
