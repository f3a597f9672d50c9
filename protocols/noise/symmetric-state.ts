import type { CryptoBackend } from '../crypto/index.ts';
import { wipe } from '../crypto/index.ts';
import { CipherState } from './cipher-state.ts';

const HASHLEN = 32;
const EMPTY = new Uint8Array(0);

/** Noise SymmetricState (§5.2) over SHA-256: chaining key `ck`, handshake hash `h`, a CipherState. */
export class SymmetricState {
  #ck: Uint8Array;
  #h: Uint8Array;
  readonly cipher: CipherState;

  constructor(
    private readonly backend: CryptoBackend,
    protocolName: string,
  ) {
    const name = new TextEncoder().encode(protocolName);
    if (name.length <= HASHLEN) {
      this.#h = new Uint8Array(HASHLEN);
      this.#h.set(name);
    } else {
      this.#h = backend.sha256(name);
    }
    this.#ck = this.#h.slice();
    this.cipher = new CipherState(backend);
  }

  mixKey(ikm: Uint8Array): void {
    const out = this.backend.hkdf(ikm, this.#ck, EMPTY, 2 * HASHLEN);
    wipe(this.#ck);
    this.#ck = out.slice(0, HASHLEN);
    this.cipher.initializeKey(out.subarray(HASHLEN));
    wipe(out);
  }

  mixHash(data: Uint8Array): void {
    this.#h = this.backend.sha256(this.#h, data);
  }

  /** A copy of `h`: the channel binding (§11.2), never secret but never to be mutated. */
  get handshakeHash(): Uint8Array {
    return this.#h.slice();
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const c = this.cipher.encryptWithAd(this.#h, plaintext);
    this.mixHash(c);
    return c;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const p = this.cipher.decryptWithAd(this.#h, ciphertext);
    this.mixHash(ciphertext);
    return p;
  }

  /** Two CipherStates: the first for initiator→responder, the second for responder→initiator. */
  split(): [CipherState, CipherState] {
    const out = this.backend.hkdf(EMPTY, this.#ck, EMPTY, 2 * HASHLEN);
    const c1 = new CipherState(this.backend, out.subarray(0, HASHLEN));
    const c2 = new CipherState(this.backend, out.subarray(HASHLEN));
    wipe(out);
    return [c1, c2];
  }

  destroy(): void {
    wipe(this.#ck);
    this.cipher.destroy();
  }
}
