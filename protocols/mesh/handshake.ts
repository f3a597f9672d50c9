import type { CryptoBackend, KeyPair } from '../crypto/index.ts';
import { concatBytes, constantTimeEqual, nodeBackend } from '../crypto/index.ts';
import { type HandshakeResult, HandshakeState, NOISE_XXHFS } from '../noise/index.ts';
import { ProtocolViolationError } from './errors.ts';
import { encodeFrame } from './frame.ts';

/** Version label in every prologue; a peer of another version fails at the first AEAD. */
export const MESH_PROLOGUE_LABEL = 'troupe/mesh/v1';
export const MESH_ID_LENGTH = 16;

/** Prologue of the first handshake: label ‖ mesh id, so another mesh fails at message 2. */
export function meshPrologue(meshId: Uint8Array): Uint8Array {
  checkMeshId(meshId);
  return concatBytes(new TextEncoder().encode(MESH_PROLOGUE_LABEL), meshId);
}

export function checkMeshId(meshId: Uint8Array): void {
  if (meshId.length !== MESH_ID_LENGTH) {
    throw new RangeError(`a mesh id is ${MESH_ID_LENGTH} bytes, got ${meshId.length}`);
  }
}

/** How the responder treats an initiator's static key. */
export type Admission = 'member' | 'joiner' | 'reject';

/** Keys and randomness that vectors and tests may fix; production leaves them unset. */
export interface HandshakeInjection {
  ephemeralPrivateKey?: Uint8Array;
  kemSeed?: Uint8Array;
  kemEncapsulationRandomness?: Uint8Array;
}

interface CommonOptions {
  meshId: Uint8Array;
  staticKey: KeyPair;
  backend?: CryptoBackend;
  inject?: HandshakeInjection;
}

export interface InitiatorHandshakeOptions extends CommonOptions {
  role: 'initiator';
  /**
   * The responder's pinned static key, or a predicate over it. Checked after message 2, before
   * message 3 is written: on a mismatch message 3 never exists.
   */
  expectedResponder: Uint8Array | ((remoteStatic: Uint8Array) => boolean);
}

export interface ResponderHandshakeOptions extends CommonOptions {
  role: 'responder';
  /** The roster: 'member' admits, 'joiner' admits only a JOIN, 'reject' aborts after message 3. */
  admitInitiator: (remoteStatic: Uint8Array) => Admission;
}

export type MeshHandshakeOptions = InitiatorHandshakeOptions | ResponderHandshakeOptions;

/** Everything a MeshSession needs once the handshake is done. */
export interface MeshHandshakeResult {
  role: 'initiator' | 'responder';
  meshId: Uint8Array;
  staticKey: KeyPair;
  backend: CryptoBackend;
  handshake: HandshakeResult;
  /** 'member' for the initiator; for the responder, what admitInitiator said. */
  admission: 'member' | 'joiner';
}

export interface HandshakeStep {
  /** Framed bytes to write to the peer, if any. */
  reply?: Uint8Array;
  /** Set when the handshake finished with this step. */
  done?: MeshHandshakeResult;
}

/** Turns a pin (key or predicate) into a constant-time predicate. */
export function pinPredicate(
  pin: Uint8Array | ((remoteStatic: Uint8Array) => boolean),
): (remoteStatic: Uint8Array) => boolean {
  if (typeof pin === 'function') return pin;
  const pinned = pin.slice();
  return (k) => constantTimeEqual(k, pinned);
}

/**
 * The mesh's first handshake (Noise_XXhfs with the mesh prologue) as a pure state machine: feed it
 * whole Noise messages (unframed), write the framed replies. All three payloads are empty in v1;
 * a non-empty one is a protocol violation (message 1's payload would travel in the clear).
 */
export class MeshHandshake {
  readonly #hs: HandshakeState;
  readonly #options: MeshHandshakeOptions;
  readonly #backend: CryptoBackend;
  #admission: Admission = 'member';

  constructor(options: MeshHandshakeOptions) {
    this.#options = options;
    this.#backend = options.backend ?? nodeBackend;
    const verify =
      options.role === 'initiator'
        ? pinPredicate(options.expectedResponder)
        : (k: Uint8Array) => {
            this.#admission = options.admitInitiator(k);
            return this.#admission !== 'reject';
          };
    this.#hs = new HandshakeState({
      protocol: NOISE_XXHFS,
      initiator: options.role === 'initiator',
      backend: this.#backend,
      staticKey: options.staticKey,
      prologue: meshPrologue(options.meshId),
      verifyRemoteStatic: verify,
      ...options.inject,
    });
  }

  get role(): 'initiator' | 'responder' {
    return this.#options.role;
  }

  /** 0-based index of the next handshake message. */
  get messageIndex(): number {
    return this.#hs.messageIndex;
  }

  /** The initiator's first message, framed. */
  start(): Uint8Array {
    return encodeFrame(this.#hs.writeMessage());
  }

  /** Processes one whole handshake message from the peer. Throws (and destroys) on any failure. */
  receive(message: Uint8Array): HandshakeStep {
    const index = this.#hs.messageIndex;
    const payload = this.#hs.readMessage(message);
    if (payload.length !== 0) {
      this.#hs.destroy();
      throw new ProtocolViolationError(
        `handshake message ${index + 1} carried a ${payload.length}-byte payload; mesh v1 sends ` +
          'none (message 1 would be cleartext): the peer speaks another version',
      );
    }
    if (this.#hs.isComplete) return { done: this.#finish() };
    const reply = encodeFrame(this.#hs.writeMessage());
    if (this.#hs.isComplete) return { reply, done: this.#finish() };
    return { reply };
  }

  /** Destroys the handshake secrets (on a deadline or a socket error). */
  destroy(): void {
    this.#hs.destroy();
  }

  #finish(): MeshHandshakeResult {
    return {
      role: this.#options.role,
      meshId: this.#options.meshId,
      staticKey: this.#options.staticKey,
      backend: this.#backend,
      handshake: this.#hs.split(),
      admission: this.#admission === 'joiner' ? 'joiner' : 'member',
    };
  }
}
