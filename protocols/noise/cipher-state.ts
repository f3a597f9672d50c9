import type { CryptoBackend } from '../crypto/index.ts';
import { wipe } from '../crypto/index.ts';
import { DecryptError, NonceExhaustedError } from './errors.ts';

/** 2^64-1: reserved by Noise §5.1 for Rekey(); a state whose nonce reaches it is finished. */
export const MAX_NONCE = 0xffff_ffff_ffff_ffffn;

const EMPTY = new Uint8Array(0);
const ZEROS32 = new Uint8Array(32);

/** Noise CipherState (§5.1): a key `k` and a 64-bit counter `n`, ChaChaPoly nonce 0^32 ‖ LE64(n). */
export class CipherState {
  #k: Uint8Array | null = null;
  #n = 0n;
  readonly #nonce = new Uint8Array(12);
  readonly #nonceView = new DataView(this.#nonce.buffer);

  constructor(
    private readonly backend: CryptoBackend,
    key?: Uint8Array | null,
  ) {
    if (key) this.initializeKey(key);
  }

  initializeKey(key: Uint8Array | null): void {
    if (key && key.length !== 32)
      throw new RangeError(`a cipher key is 32 bytes, got ${key.length}`);
    wipe(this.#k);
    this.#k = key ? key.slice() : null;
    this.#n = 0n;
  }

  hasKey(): boolean {
    return this.#k !== null;
  }

  /** The next nonce to be used. */
  get nonce(): bigint {
    return this.#n;
  }

  /** Noise SetNonce(); used by tests to bring the counter to its limit. */
  setNonce(n: bigint): void {
    if (n < 0n || n > MAX_NONCE) throw new RangeError(`a nonce is a u64, got ${n}`);
    this.#n = n;
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (!this.#k) return plaintext;
    const k = this.#k;
    return this.backend.chachaSeal(k, this.#nextNonce(), ad, plaintext);
  }

  /** EncryptWithAd over the concatenation of `parts`, returned as pieces (saves a copy on the hot path). */
  encryptWithAdParts(ad: Uint8Array, parts: readonly Uint8Array[]): Uint8Array[] {
    if (!this.#k) return [...parts];
    const k = this.#k;
    return this.backend.chachaSealParts(k, this.#nextNonce(), ad, parts);
  }

  /** Throws DecryptError on a bad tag and leaves `n` unchanged (§5.1). */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (!this.#k) return ciphertext;
    const nonce = this.#peekNonce();
    const plain = this.backend.chachaOpen(this.#k, nonce, ad, ciphertext);
    if (!plain) {
      throw new DecryptError(
        `authentication failed at nonce ${this.#n}: the message was tampered with, replayed, ` +
          'reordered or sealed under another key; this session cannot continue',
      );
    }
    this.#n++;
    return plain;
  }

  /** Noise Rekey() (§11.3): k = first 32 bytes of ENCRYPT(k, 2^64-1, "", 0^32); n is kept. */
  rekey(): void {
    if (!this.#k) throw new RangeError('Rekey() needs a key; this cipher state has none');
    this.#nonceView.setUint32(0, 0, true);
    this.#nonceView.setBigUint64(4, MAX_NONCE, true);
    const next = this.backend.chachaSeal(this.#k, this.#nonce, EMPTY, ZEROS32).slice(0, 32);
    wipe(this.#k);
    this.#k = next;
  }

  /** Forgets the key; any later use encrypts nothing and must not happen. */
  destroy(): void {
    wipe(this.#k);
    this.#k = null;
  }

  #peekNonce(): Uint8Array {
    if (this.#n >= MAX_NONCE) {
      throw new NonceExhaustedError(
        'the nonce reached 2^64-1, which Noise reserves: rekey is not enough, start a new handshake',
      );
    }
    this.#nonceView.setUint32(0, 0, true);
    this.#nonceView.setBigUint64(4, this.#n, true);
    return this.#nonce;
  }

  #nextNonce(): Uint8Array {
    const nonce = this.#peekNonce();
    this.#n++;
    return nonce;
  }
}
