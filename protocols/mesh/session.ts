import type { CryptoBackend, KeyPair } from '../crypto/index.ts';
import { concatBytes, constantTimeEqual } from '../crypto/index.ts';
import { type CipherState, DecryptError, HandshakeState, NOISE_XXHFS } from '../noise/index.ts';
import { MAX_CLOSE_REASON } from './close-code.ts';
import {
  FrameTooLongError,
  FrameTooSmallError,
  ProtocolViolationError,
  SessionClosedError,
  SessionPoisonedError,
  SessionStateError,
  TransportDecryptError,
} from './errors.ts';
import { encodeFrames, framePieces } from './frame.ts';
import { MESH_PROLOGUE_LABEL, type MeshHandshakeResult } from './handshake.ts';
import { INVITE_ID_LENGTH, type Invite, JOIN_PROOF_LENGTH, joinProof } from './invite.ts';
import { DEFAULT_MAX_FRAME_BYTES, Reassembler } from './reassembler.ts';
import { MAX_RECORD_BODY, MIN_TRANSPORT_MESSAGE, RecordType } from './record.ts';

export interface MeshSessionOptions {
  /** Largest application frame accepted (reassembly cap) and sent. Default 16 MiB. */
  maxFrameBytes?: number;
  /** Rekey our sending direction after this many records. Default 2^20. */
  rekeyAfterMessages?: number;
  /** …or after this many sealed bytes. Default 1 GiB. */
  rekeyAfterBytes?: number;
  /** `rehandshakeDue` turns true after this many records sent under one handshake. Default 2^32. */
  rehandshakeAfterMessages?: number;
}

export type SessionEvent =
  /** A whole application frame from the peer. */
  | { type: 'frame'; frame: Uint8Array }
  /** Bytes the protocol must write now, before anything else is sealed (re-handshake steps). */
  | { type: 'send'; bytes: Uint8Array }
  /** The peer closed with an authenticated close record. */
  | { type: 'closed'; code: number; reason: string }
  /** The peer rekeyed its direction; we followed. */
  | { type: 'rekeyed' }
  /** A re-handshake finished: fresh keys, new handshake hash. */
  | { type: 'rehandshaked'; handshakeHash: Uint8Array }
  /** Responder side: the joiner presented an invite; redeem it, then acceptJoin() or close(). */
  | { type: 'join'; inviteId: Uint8Array; proof: Uint8Array }
  /** Joiner side: the inviter accepted; the session is open. */
  | { type: 'join-accepted' };

export type SessionState =
  /** Responder: the peer is an unknown key; its first record must be JOIN. */
  | 'awaiting-join'
  /** Responder: JOIN received, the application is redeeming it. */
  | 'join-pending'
  /** Joiner: JOIN sent, waiting for JOIN_ACCEPTED. */
  | 'joining'
  | 'open'
  | 'closed'
  | 'failed';

export interface SessionStats {
  recordsSent: number;
  recordsReceived: number;
  /** Application bytes. */
  bytesSent: number;
  bytesReceived: number;
  rekeysSent: number;
  rekeysReceived: number;
  rehandshakes: number;
}

interface Rehandshake {
  hs: HandshakeState;
  /** Initiator: the new receiving key, used once the responder's HANDSHAKE_DONE arrives. */
  pendingReceive?: CipherState;
}

const EMPTY = new Uint8Array(0);
const TYPE_BYTES = Array.from({ length: 256 }, (_, i) => new Uint8Array([i]));
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8');

/**
 * The transport phase of a mesh link as a pure state machine: seal frames into framed Noise
 * records, open records into events. Nonces are implicit 64-bit counters (TCP keeps order), so
 * any replayed, reordered, duplicated, reflected or dropped record fails its AEAD check, and
 * every error poisons the session for good.
 */
export class MeshSession {
  readonly role: 'initiator' | 'responder';
  readonly meshId: Uint8Array;
  readonly remoteStatic: Uint8Array;
  readonly #backend: CryptoBackend;
  readonly #staticKey: KeyPair;
  #send: CipherState;
  #receive: CipherState;
  #h: Uint8Array;
  #state: SessionState;
  #error: Error | null = null;
  #rh: Rehandshake | null = null;
  #rhRequested = false;
  readonly #reassembler: Reassembler;
  readonly #maxFrame: number;
  readonly #rekeyMessages: number;
  readonly #rekeyBytes: number;
  readonly #rehandshakeMessages: number;
  #sinceRekeyMessages = 0;
  #sinceRekeyBytes = 0;
  #sinceHandshake = 0;
  readonly #stats: SessionStats = {
    recordsSent: 0,
    recordsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    rekeysSent: 0,
    rekeysReceived: 0,
    rehandshakes: 0,
  };

  constructor(result: MeshHandshakeResult, options: MeshSessionOptions = {}) {
    this.role = result.role;
    this.meshId = result.meshId;
    this.remoteStatic = result.handshake.remoteStatic;
    this.#backend = result.backend;
    this.#staticKey = result.staticKey;
    this.#send = result.handshake.send;
    this.#receive = result.handshake.receive;
    this.#h = result.handshake.handshakeHash;
    this.#state = result.admission === 'joiner' ? 'awaiting-join' : 'open';
    this.#maxFrame = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#reassembler = new Reassembler(this.#maxFrame);
    this.#rekeyMessages = options.rekeyAfterMessages ?? 2 ** 20;
    this.#rekeyBytes = options.rekeyAfterBytes ?? 2 ** 30;
    this.#rehandshakeMessages = options.rehandshakeAfterMessages ?? 2 ** 32;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The current handshake hash (changes after a re-handshake): channel binding. */
  get handshakeHash(): Uint8Array {
    return this.#h.slice();
  }

  /** The error that poisoned the session, if any. */
  get error(): Error | null {
    return this.#error;
  }

  get stats(): Readonly<SessionStats> {
    return { ...this.#stats };
  }

  /** True while a re-handshake is in flight. */
  get rehandshaking(): boolean {
    return this.#rh !== null || this.#rhRequested;
  }

  /** True once enough records went out under this handshake that a re-handshake should start. */
  get rehandshakeDue(): boolean {
    return this.#sinceHandshake >= this.#rehandshakeMessages;
  }

  /**
   * Seals one application frame (fragmented when over one record) and returns the framed bytes to
   * write. A REKEY record is appended when the rekey policy says so.
   */
  sealFrame(frame: Uint8Array): Uint8Array {
    return concatBytes(...this.sealFrameParts(frame));
  }

  /**
   * sealFrame's wire bytes as an ordered list of buffers, for a corked (vectored) socket write
   * that copies nothing. Write them all, in order, before sealing anything else.
   */
  sealFrameParts(frame: Uint8Array): Uint8Array[] {
    this.#usable('send a frame', ['open']);
    if (frame.length > this.#maxFrame) {
      throw new FrameTooLongError(
        `a ${frame.length}-byte frame is over this link's cap of ${this.#maxFrame} bytes; ` +
          'split it or raise maxFrameBytes on both sides',
      );
    }
    return this.#guard(() => {
      const messages: Uint8Array[][] = [];
      let o = 0;
      do {
        const end = Math.min(o + MAX_RECORD_BODY, frame.length);
        const type = end === frame.length ? RecordType.data : RecordType.dataMore;
        messages.push(this.#seal(type, frame.subarray(o, end)));
        o = end;
      } while (o < frame.length);
      this.#stats.bytesSent += frame.length;
      if (
        this.#sinceRekeyMessages >= this.#rekeyMessages ||
        this.#sinceRekeyBytes >= this.#rekeyBytes
      ) {
        messages.push(this.#sealRekey());
      }
      return framePieces(messages);
    });
  }

  /** Rekeys our sending direction now (Noise Rekey), telling the peer in-band. */
  rekey(): Uint8Array {
    this.#usable('rekey', ['open', 'joining', 'join-pending', 'awaiting-join']);
    return this.#guard(() => encodeFrames([this.#sealRekey()]));
  }

  /** Seals an authenticated close record and ends the session. Write the bytes, then end the socket. */
  close(code: number, reason = ''): Uint8Array {
    this.#usable('close', ['open', 'joining', 'join-pending', 'awaiting-join']);
    if (!Number.isInteger(code) || code < 0 || code > 0xffff) {
      throw new RangeError(`a close code is a u16, got ${code}`);
    }
    return this.#guard(() => {
      const text = utf8.encode(reason).subarray(0, MAX_CLOSE_REASON);
      const body = new Uint8Array(2 + text.length);
      new DataView(body.buffer).setUint16(0, code);
      body.set(text, 2);
      const bytes = encodeFrames([this.#seal(RecordType.close, body)]);
      this.#end('closed');
      return bytes;
    });
  }

  /**
   * Starts a re-handshake (fresh X25519 and ML-KEM ephemerals, same static keys, bound to the
   * current handshake hash). Only the initiator starts one; on the responder this asks the
   * initiator to. Returns undefined when one is already in flight.
   */
  startRehandshake(): Uint8Array | undefined {
    this.#usable('re-handshake', ['open']);
    if (this.rehandshaking) return undefined;
    return this.#guard(() => {
      if (this.role === 'responder') {
        this.#rhRequested = true;
        return encodeFrames([this.#seal(RecordType.rehandshakeRequest, EMPTY)]);
      }
      const hs = this.#newRehandshake(true);
      this.#rh = { hs };
      return encodeFrames([this.#seal(RecordType.handshake, hs.writeMessage())]);
    });
  }

  /** Joiner: proves the invite over this handshake's hash. Wait for 'join-accepted' before sending. */
  join(invite: Pick<Invite, 'inviteId' | 'secret'>): Uint8Array {
    this.#usable('join', ['open']);
    if (this.role !== 'initiator') throw new RangeError('only the dialing side joins');
    return this.#guard(() => {
      const proof = joinProof(invite.secret, invite.inviteId, this.#h, this.#backend);
      const bytes = encodeFrames([
        this.#seal(RecordType.join, concatBytes(invite.inviteId, proof)),
      ]);
      this.#state = 'joining';
      return bytes;
    });
  }

  /** Responder: the invite was redeemed; tells the joiner and opens the session. */
  acceptJoin(): Uint8Array {
    this.#usable('accept a join', ['join-pending']);
    return this.#guard(() => {
      const bytes = encodeFrames([this.#seal(RecordType.joinAccepted, EMPTY)]);
      this.#state = 'open';
      return bytes;
    });
  }

  /** Opens one whole Noise transport message (unframed) from the peer. */
  receive(message: Uint8Array): SessionEvent[] {
    this.#usable('receive', ['open', 'joining', 'join-pending', 'awaiting-join']);
    return this.#guard(() => {
      if (message.length < MIN_TRANSPORT_MESSAGE) {
        throw new FrameTooSmallError(
          `a ${message.length}-byte transport message is shorter than a sealed record ` +
            `(${MIN_TRANSPORT_MESSAGE} bytes): the stream is corrupt or truncated`,
        );
      }
      let plain: Uint8Array;
      try {
        plain = this.#receive.decryptWithAd(EMPTY, message);
      } catch (cause) {
        if (cause instanceof DecryptError) {
          throw new TransportDecryptError(
            `record ${this.#stats.recordsReceived + 1} from the peer failed authentication: ` +
              'tampered, replayed, reordered, duplicated, reflected or truncated traffic. The link ' +
              'is closed; reconnect with a fresh handshake',
            { cause },
          );
        }
        throw cause;
      }
      this.#stats.recordsReceived++;
      return this.#dispatch(plain[0]!, plain.subarray(1));
    });
  }

  /** Forgets every key (after a socket error or deadline). Idempotent. */
  destroy(): void {
    if (this.#state !== 'closed' && this.#state !== 'failed') this.#end('closed');
  }

  #dispatch(type: number, body: Uint8Array): SessionEvent[] {
    switch (type) {
      case RecordType.data:
      case RecordType.dataMore: {
        this.#expectState(type, ['open']);
        const frame = this.#reassembler.push(body, type === RecordType.data);
        if (!frame) return [];
        this.#stats.bytesReceived += frame.length;
        return [{ type: 'frame', frame }];
      }
      case RecordType.rekey:
        this.#expectEmpty(type, body);
        this.#receive.rekey();
        this.#stats.rekeysReceived++;
        return [{ type: 'rekeyed' }];
      case RecordType.close: {
        if (body.length < 2) throw this.#violation('a close record without its code');
        const code = (body[0]! << 8) | body[1]!;
        const reason = fromUtf8.decode(body.subarray(2));
        this.#end('closed');
        return [{ type: 'closed', code, reason }];
      }
      case RecordType.handshake:
        this.#expectState(type, ['open']);
        return this.#onHandshakeRecord(body);
      case RecordType.handshakeDone: {
        this.#expectEmpty(type, body);
        const pending = this.#rh?.pendingReceive;
        if (this.role !== 'initiator' || !pending) {
          throw this.#violation('HANDSHAKE_DONE without a re-handshake awaiting it');
        }
        this.#receive.destroy();
        this.#receive = pending;
        this.#rh = null;
        return [{ type: 'rehandshaked', handshakeHash: this.handshakeHash }];
      }
      case RecordType.rehandshakeRequest: {
        this.#expectEmpty(type, body);
        this.#expectState(type, ['open']);
        if (this.role !== 'initiator')
          throw this.#violation('a re-handshake request sent to the responder');
        if (this.#rh) return [];
        const hs = this.#newRehandshake(true);
        this.#rh = { hs };
        return [
          {
            type: 'send',
            bytes: encodeFrames([this.#seal(RecordType.handshake, hs.writeMessage())]),
          },
        ];
      }
      case RecordType.join: {
        this.#expectState(type, ['awaiting-join']);
        if (body.length !== INVITE_ID_LENGTH + JOIN_PROOF_LENGTH) {
          throw this.#violation(`a JOIN record of ${body.length} bytes (expected 48)`);
        }
        this.#state = 'join-pending';
        return [
          {
            type: 'join',
            inviteId: body.slice(0, INVITE_ID_LENGTH),
            proof: body.slice(INVITE_ID_LENGTH),
          },
        ];
      }
      case RecordType.joinAccepted:
        this.#expectEmpty(type, body);
        this.#expectState(type, ['joining']);
        this.#state = 'open';
        return [{ type: 'join-accepted' }];
      default:
        throw this.#violation(`unknown record type 0x${type.toString(16)}`);
    }
  }

  #onHandshakeRecord(message: Uint8Array): SessionEvent[] {
    if (this.role === 'responder') {
      if (!this.#rh) {
        // Message 1 (initiator's e, e1) → reply with message 2.
        const hs = this.#newRehandshake(false);
        this.#rh = { hs };
        hs.readMessage(message);
        return [
          {
            type: 'send',
            bytes: encodeFrames([this.#seal(RecordType.handshake, hs.writeMessage())]),
          },
        ];
      }
      // Message 3: switch both directions; HANDSHAKE_DONE is our last record under the old key.
      const { hs } = this.#rh;
      hs.readMessage(message);
      const result = hs.split();
      const done = this.#seal(RecordType.handshakeDone, EMPTY);
      this.#switchSend(result.send);
      this.#receive.destroy();
      this.#receive = result.receive;
      this.#h = result.handshakeHash;
      this.#rh = null;
      this.#rhRequested = false;
      return [
        { type: 'send', bytes: encodeFrames([done]) },
        { type: 'rehandshaked', handshakeHash: this.handshakeHash },
      ];
    }
    if (!this.#rh || this.#rh.pendingReceive) {
      throw this.#violation('a re-handshake message the initiator did not ask for');
    }
    // Message 2 → message 3, the last record we seal under the old key.
    const { hs } = this.#rh;
    hs.readMessage(message);
    const msg3 = this.#seal(RecordType.handshake, hs.writeMessage());
    const result = hs.split();
    this.#switchSend(result.send);
    this.#rh.pendingReceive = result.receive;
    this.#h = result.handshakeHash;
    return [{ type: 'send', bytes: encodeFrames([msg3]) }];
  }

  #newRehandshake(initiator: boolean): HandshakeState {
    const remote = this.remoteStatic;
    return new HandshakeState({
      protocol: NOISE_XXHFS,
      initiator,
      backend: this.#backend,
      staticKey: this.#staticKey,
      // Bound to the previous session: a re-handshake cannot be spliced into another link.
      prologue: concatBytes(
        utf8.encode(`${MESH_PROLOGUE_LABEL}/rehandshake`),
        this.meshId,
        this.#h,
      ),
      verifyRemoteStatic: (k) => constantTimeEqual(k, remote),
    });
  }

  #switchSend(next: CipherState): void {
    this.#send.destroy();
    this.#send = next;
    this.#sinceRekeyMessages = 0;
    this.#sinceRekeyBytes = 0;
    this.#sinceHandshake = 0;
    this.#stats.rehandshakes++;
  }

  /** One sealed record, as pieces for encodeFrames (the type byte is never copied in front). */
  #seal(type: number, body: Uint8Array): Uint8Array[] {
    const sealed = this.#send.encryptWithAdParts(EMPTY, [TYPE_BYTES[type]!, body]);
    this.#stats.recordsSent++;
    this.#sinceRekeyMessages++;
    this.#sinceRekeyBytes += 1 + body.length + 16;
    this.#sinceHandshake++;
    return sealed;
  }

  #sealRekey(): Uint8Array[] {
    const sealed = this.#seal(RecordType.rekey, EMPTY);
    this.#send.rekey();
    this.#sinceRekeyMessages = 0;
    this.#sinceRekeyBytes = 0;
    this.#stats.rekeysSent++;
    return sealed;
  }

  #expectState(type: number, allowed: SessionState[]): void {
    if (!allowed.includes(this.#state)) {
      throw this.#violation(
        `record type 0x${type.toString(16)} while the session is ${this.#state}`,
      );
    }
  }

  #expectEmpty(type: number, body: Uint8Array): void {
    if (body.length !== 0) throw this.#violation(`record type 0x${type.toString(16)} with a body`);
  }

  #violation(what: string): ProtocolViolationError {
    return new ProtocolViolationError(
      `the peer broke the mesh protocol: ${what}. The link is closed; check both sides run the same version`,
    );
  }

  #usable(action: string, allowed: SessionState[]): void {
    if (this.#state === 'failed') {
      throw new SessionPoisonedError(
        `cannot ${action}: an earlier error (${this.#error?.name}) poisoned this session; open a new link`,
        { cause: this.#error },
      );
    }
    if (this.#state === 'closed') {
      throw new SessionClosedError(`cannot ${action}: the session is closed; open a new link`);
    }
    if (!allowed.includes(this.#state)) {
      throw new SessionStateError(
        `cannot ${action} while the session is ${this.#state}` +
          (this.#state === 'joining' ? ': wait for the inviter to accept the join' : ''),
      );
    }
  }

  #guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      this.#error = e;
      this.#end('failed');
      throw e;
    }
  }

  #end(state: 'closed' | 'failed'): void {
    this.#state = state;
    this.#send.destroy();
    this.#receive.destroy();
    this.#rh?.hs.destroy();
    this.#rh?.pendingReceive?.destroy();
    this.#rh = null;
  }
}
