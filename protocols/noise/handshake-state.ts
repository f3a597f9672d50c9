import type { CryptoBackend, KeyPair } from '../crypto/index.ts';
import {
  AEAD_TAG_LENGTH,
  concatBytes,
  InvalidPublicKeyError,
  KemError,
  MLKEM768_CIPHERTEXT_LENGTH,
  MLKEM768_MESSAGE_LENGTH,
  MLKEM768_PUBLIC_KEY_LENGTH,
  MLKEM768_SEED_LENGTH,
  wipe,
  X25519_LENGTH,
  x25519KeyPair,
} from '../crypto/index.ts';
import type { CipherState } from './cipher-state.ts';
import {
  DecryptError,
  DowngradeError,
  HandshakeError,
  HandshakeRejectedError,
  HandshakeStateError,
  MalformedHandshakeMessageError,
  NoiseError,
  UnexpectedStaticKeyError,
} from './errors.ts';
import type { NoiseProtocol, Token } from './pattern.ts';
import { SymmetricState } from './symmetric-state.ts';

/** Noise §3: no message may exceed 65535 bytes. */
export const MAX_NOISE_MESSAGE = 65535;

export interface HandshakeOptions {
  protocol: NoiseProtocol;
  initiator: boolean;
  backend: CryptoBackend;
  /** Our long-term X25519 key pair. */
  staticKey: KeyPair;
  prologue?: Uint8Array;
  /** Fixed ephemeral X25519 private key, for vectors and tests only; fresh randomness otherwise. */
  ephemeralPrivateKey?: Uint8Array;
  /** Fixed ML-KEM-768 keygen seed d‖z (64 bytes) for `e1`; vectors and tests only. */
  kemSeed?: Uint8Array;
  /** Fixed ML-KEM-768 encapsulation randomness `m` (32 bytes) for `ekem1`; vectors and tests only. */
  kemEncapsulationRandomness?: Uint8Array;
  /**
   * Decides whether the peer's static key is acceptable, called once the message carrying it has
   * been read and authenticated, before we write anything else. Returning false aborts: the
   * initiator then never writes message 3.
   */
  verifyRemoteStatic?: (remoteStatic: Uint8Array) => boolean;
}

/** What a finished handshake hands to the transport phase. */
export interface HandshakeResult {
  /** Seals what we send: cs1 for the initiator, cs2 for the responder. */
  send: CipherState;
  /** Opens what the peer sends. */
  receive: CipherState;
  /** The final handshake hash `h`: channel binding for proofs such as invite redemption. */
  handshakeHash: Uint8Array;
  remoteStatic: Uint8Array;
}

type Phase = 'write' | 'read' | 'complete' | 'split' | 'destroyed';

/**
 * Noise HandshakeState (§5.3) for the XX family with the KEM-based hybrid forward secrecy tokens
 * of noise_hfs (`e1`, `ekem1`). Any error destroys the state; it cannot be retried.
 */
export class HandshakeState {
  readonly #backend: CryptoBackend;
  readonly #protocol: NoiseProtocol;
  readonly #initiator: boolean;
  readonly #ss: SymmetricState;
  readonly #s: KeyPair;
  #e: KeyPair | null = null;
  #e1: { publicKey: Uint8Array; secretKey: Uint8Array } | null = null;
  #rs: Uint8Array | null = null;
  #re: Uint8Array | null = null;
  #re1: Uint8Array | null = null;
  #index = 0;
  #phase: Phase;
  readonly #options: HandshakeOptions;

  constructor(options: HandshakeOptions) {
    this.#options = options;
    this.#backend = options.backend;
    this.#protocol = options.protocol;
    this.#initiator = options.initiator;
    this.#s = options.staticKey;
    this.#ss = new SymmetricState(options.backend, options.protocol.name);
    this.#ss.mixHash(options.prologue ?? new Uint8Array(0));
    this.#phase = options.initiator ? 'write' : 'read';
  }

  get isInitiator(): boolean {
    return this.#initiator;
  }

  /** 0-based index of the next message to be written or read. */
  get messageIndex(): number {
    return this.#index;
  }

  get isComplete(): boolean {
    return this.#phase === 'complete';
  }

  /** True once an error destroyed the state (or after split()). */
  get isDestroyed(): boolean {
    return this.#phase === 'destroyed' || this.#phase === 'split';
  }

  /** The handshake hash `h` as it stands now. */
  get handshakeHash(): Uint8Array {
    return this.#ss.handshakeHash;
  }

  /** The peer's static key once received. */
  get remoteStatic(): Uint8Array | null {
    return this.#rs ? this.#rs.slice() : null;
  }

  /** True when the next step is writeMessage(). */
  get isMyTurn(): boolean {
    return this.#phase === 'write';
  }

  writeMessage(payload: Uint8Array = new Uint8Array(0)): Uint8Array {
    this.#expect('write');
    const index = this.#index;
    try {
      const parts: Uint8Array[] = [];
      for (const token of this.#tokens()) parts.push(...this.#writeToken(token));
      parts.push(this.#ss.encryptAndHash(payload));
      const message = concatBytes(...parts);
      if (message.length > MAX_NOISE_MESSAGE) {
        throw new MalformedHandshakeMessageError(
          `message ${index + 1} would be ${message.length} bytes, over Noise's 65535: send a shorter payload`,
          index,
        );
      }
      this.#advance();
      return message;
    } catch (error) {
      throw this.#fail(error, index);
    }
  }

  /** Reads one whole handshake message and returns its payload. */
  readMessage(message: Uint8Array): Uint8Array {
    this.#expect('read');
    const index = this.#index;
    try {
      this.#checkLength(message);
      let offset = 0;
      const take = (n: number): Uint8Array => {
        const part = message.subarray(offset, offset + n);
        offset += n;
        return part;
      };
      let carriedStatic = false;
      for (const token of this.#tokens()) {
        this.#readToken(token, take);
        if (token === 's') carriedStatic = true;
      }
      const payload = this.#ss.decryptAndHash(message.subarray(offset));
      if (carriedStatic) this.#verifyRemote(index);
      this.#advance();
      return payload;
    } catch (error) {
      throw this.#fail(error, index);
    }
  }

  /** Hands the transport keys over and destroys the handshake secrets. Callable once, when complete. */
  split(): HandshakeResult {
    this.#expect('complete');
    const [c1, c2] = this.#ss.split();
    const result: HandshakeResult = {
      send: this.#initiator ? c1 : c2,
      receive: this.#initiator ? c2 : c1,
      handshakeHash: this.#ss.handshakeHash,
      remoteStatic: this.#rs!.slice(),
    };
    this.#wipe();
    this.#phase = 'split';
    return result;
  }

  /** Noise §5: on any error the HandshakeState is deleted. Idempotent. */
  destroy(): void {
    this.#wipe();
    if (this.#phase !== 'split') this.#phase = 'destroyed';
  }

  #tokens(): readonly Token[] {
    return this.#protocol.messages[this.#index]!;
  }

  #expect(phase: Phase): void {
    if (this.#phase === phase) return;
    const what =
      this.#phase === 'destroyed'
        ? 'was destroyed by an earlier error; start a new handshake'
        : this.#phase === 'split'
          ? 'is finished and its keys were handed over'
          : this.#phase === 'complete'
            ? 'is complete: call split() to get the transport keys'
            : `expects ${this.#phase === 'write' ? 'writeMessage()' : 'readMessage()'} next`;
    throw new HandshakeStateError(
      `this handshake ${what} (asked to ${phase === 'write' ? 'write' : phase === 'read' ? 'read' : 'split'})`,
      this.#index,
    );
  }

  #advance(): void {
    this.#index++;
    if (this.#index === this.#protocol.messages.length) this.#phase = 'complete';
    else this.#phase = this.#phase === 'write' ? 'read' : 'write';
  }

  #dh(token: 'ee' | 'es' | 'se' | 'ss'): Uint8Array {
    const e = this.#e;
    const re = this.#re;
    const rs = this.#rs;
    const need = <T>(x: T | null): T => {
      if (x === null) throw new HandshakeStateError(`token ${token} lacks a key`, this.#index);
      return x;
    };
    const b = this.#backend;
    switch (token) {
      case 'ee':
        return b.x25519(need(e).privateKey, need(re));
      case 'ss':
        return b.x25519(this.#s.privateKey, need(rs));
      case 'es':
        return this.#initiator
          ? b.x25519(need(e).privateKey, need(rs))
          : b.x25519(this.#s.privateKey, need(re));
      case 'se':
        return this.#initiator
          ? b.x25519(this.#s.privateKey, need(re))
          : b.x25519(need(e).privateKey, need(rs));
    }
  }

  #writeToken(token: Token): Uint8Array[] {
    const o = this.#options;
    switch (token) {
      case 'e': {
        this.#e = o.ephemeralPrivateKey
          ? x25519KeyPair(this.#backend, o.ephemeralPrivateKey.slice())
          : this.#backend.x25519Generate();
        this.#ss.mixHash(this.#e.publicKey);
        return [this.#e.publicKey];
      }
      case 'e1': {
        const seed = o.kemSeed?.slice() ?? this.#backend.randomBytes(MLKEM768_SEED_LENGTH);
        this.#e1 = this.#backend.mlkemKeygen(seed);
        wipe(seed);
        return [this.#ss.encryptAndHash(this.#e1.publicKey)];
      }
      case 's':
        return [this.#ss.encryptAndHash(this.#s.publicKey)];
      case 'ekem1': {
        if (!this.#re1) throw new HandshakeStateError('ekem1 before e1 was read', this.#index);
        const m =
          o.kemEncapsulationRandomness?.slice() ??
          this.#backend.randomBytes(MLKEM768_MESSAGE_LENGTH);
        const { cipherText, sharedSecret } = this.#backend.mlkemEncapsulate(this.#re1, m);
        wipe(m);
        // noise_hfs order: EncryptAndHash(ct) first, then MixKey(ss).
        const c = this.#ss.encryptAndHash(cipherText);
        this.#ss.mixKey(sharedSecret);
        wipe(sharedSecret);
        return [c];
      }
      default: {
        const shared = this.#dh(token);
        this.#ss.mixKey(shared);
        wipe(shared);
        return [];
      }
    }
  }

  #readToken(token: Token, take: (n: number) => Uint8Array): void {
    const tag = () => (this.#ss.cipher.hasKey() ? AEAD_TAG_LENGTH : 0);
    switch (token) {
      case 'e': {
        this.#re = take(X25519_LENGTH).slice();
        this.#ss.mixHash(this.#re);
        return;
      }
      case 'e1':
        this.#re1 = this.#ss.decryptAndHash(take(MLKEM768_PUBLIC_KEY_LENGTH + tag())).slice();
        return;
      case 's':
        this.#rs = this.#ss.decryptAndHash(take(X25519_LENGTH + tag())).slice();
        return;
      case 'ekem1': {
        if (!this.#e1) throw new HandshakeStateError('ekem1 without our e1', this.#index);
        const ct = this.#ss.decryptAndHash(take(MLKEM768_CIPHERTEXT_LENGTH + tag()));
        const shared = this.#backend.mlkemDecapsulate(ct, this.#e1.secretKey);
        this.#ss.mixKey(shared);
        wipe(shared);
        return;
      }
      default: {
        const shared = this.#dh(token);
        this.#ss.mixKey(shared);
        wipe(shared);
      }
    }
  }

  /** Checks the length up front so truncation gets a precise error, before any state changes. */
  #checkLength(message: Uint8Array): void {
    const index = this.#index;
    if (message.length > MAX_NOISE_MESSAGE) {
      throw new MalformedHandshakeMessageError(
        `message ${index + 1} is ${message.length} bytes, over Noise's 65535`,
        index,
      );
    }
    let keyed = this.#ss.cipher.hasKey();
    let need = 0;
    let hasE1 = false;
    for (const token of this.#tokens()) {
      const tag = keyed ? AEAD_TAG_LENGTH : 0;
      if (token === 'e') need += X25519_LENGTH;
      else if (token === 'e1') {
        need += MLKEM768_PUBLIC_KEY_LENGTH + tag;
        hasE1 = true;
      } else if (token === 's') need += X25519_LENGTH + tag;
      else if (token === 'ekem1') {
        need += MLKEM768_CIPHERTEXT_LENGTH + tag;
        keyed = true;
      } else keyed = true;
    }
    if (keyed) need += AEAD_TAG_LENGTH;
    if (message.length >= need) return;
    if (hasE1) {
      throw new DowngradeError(
        `message ${index + 1} is ${message.length} bytes, too short to carry the ML-KEM-768 key e1 ` +
          `(needs at least ${need}): a classical Noise_XX peer or an attacker who stripped e1. ` +
          `${this.#protocol.name} has no classical fallback; the peer must speak it`,
        index,
      );
    }
    throw new MalformedHandshakeMessageError(
      `message ${index + 1} is ${message.length} bytes but needs at least ${need}: it was truncated ` +
        'or the peer speaks another protocol; start a new handshake',
      index,
    );
  }

  #verifyRemote(index: number): void {
    const verify = this.#options.verifyRemoteStatic;
    const rs = this.#rs!;
    if (verify && !verify(rs.slice())) {
      throw new UnexpectedStaticKeyError(
        this.#initiator
          ? 'the responder authenticated with a static key other than the expected (pinned) one; ' +
              'message 3 was not sent. Check the peer address or update the pinned key'
          : 'the initiator authenticated with a static key the roster does not admit; ' +
              'add it to the roster or give it an invite',
        index,
        rs.slice(),
      );
    }
  }

  #fail(error: unknown, index: number): Error {
    this.destroy();
    if (error instanceof HandshakeError) return error;
    if (
      error instanceof DecryptError ||
      error instanceof InvalidPublicKeyError ||
      error instanceof KemError
    ) {
      const who = this.#writerIsInitiatorAt(index) ? 'initiator' : 'responder';
      return new HandshakeRejectedError(
        `handshake message ${index + 1} (from the ${who}) failed a cryptographic check; the bytes ` +
          'were tampered with or the peer is misbehaving. The handshake state was destroyed: start a new one',
        index,
        { cause: error },
      );
    }
    if (error instanceof NoiseError) {
      return new HandshakeError(`handshake message ${index + 1}: ${error.message}`, index, {
        cause: error,
      });
    }
    return new HandshakeError(
      `handshake message ${index + 1} failed: ${error instanceof Error ? error.message : String(error)}`,
      index,
      { cause: error },
    );
  }

  #writerIsInitiatorAt(index: number): boolean {
    return index % 2 === 0;
  }

  #wipe(): void {
    if (this.#e) wipe(this.#e.privateKey);
    if (this.#e1) wipe(this.#e1.secretKey);
    this.#e = null;
    this.#e1 = null;
    this.#re1 = null;
    this.#ss.destroy();
  }
}
