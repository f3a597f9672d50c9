import type { Duplex } from 'node:stream';
import { nodeBackend } from '../../../protocols/crypto/index.ts';
import {
  CloseCode,
  FrameDecoder,
  FrameTooLongError,
  type Invite,
  type InviteRecord,
  InviteRejectedError,
  MeshHandshake,
  type MeshHandshakeResult,
  MeshSession,
  type SessionEvent,
  type SessionStats,
} from '../../../protocols/mesh/index.ts';
import type { LinkCloseReason } from './close-reason.ts';
import {
  FrameTimeoutError,
  HandshakeTimeoutError,
  IdleTimeoutError,
  JoinRejectedError,
  LinkClosedError,
  LinkSocketError,
  PeerClosedError,
  UnexpectedEofError,
} from './errors.ts';
import { FrameQueue } from './frame-queue.ts';
import {
  type AcceptOptions,
  type DialOptions,
  LINK_DEFAULTS,
  type LinkOptions,
} from './options.ts';

type Phase = 'handshake' | 'joining' | 'open' | 'closed';
type TimerName = 'handshake' | 'frame' | 'idle' | 'rekey' | 'rehandshake';

export type LinkStart =
  | { role: 'initiator'; options: DialOptions; pin: (k: Uint8Array) => boolean; invite?: Invite }
  | { role: 'responder'; options: AcceptOptions };

/**
 * A live encrypted link over a Duplex (a net.Socket in production): the XXhfs handshake with
 * deadlines, then framed transport. Made by dialLink() / acceptLink(); never constructed directly.
 */
export class Link implements AsyncIterable<Uint8Array> {
  readonly role: 'initiator' | 'responder';
  /** Resolves once, when the link is closed for any reason; never rejects. */
  readonly closed: Promise<LinkCloseReason>;
  /** @internal resolves when the handshake (and join) finished. */
  readonly ready: Promise<Link>;
  readonly #socket: Duplex;
  readonly #options: LinkOptions;
  readonly #start: LinkStart;
  readonly #decoder = new FrameDecoder();
  readonly #queue: FrameQueue;
  #handshake: MeshHandshake | null;
  #session: MeshSession | null = null;
  #phase: Phase = 'handshake';
  #reason: LinkCloseReason | null = null;
  #resolveClosed!: (r: LinkCloseReason) => void;
  #resolveReady!: (l: Link) => void;
  #rejectReady!: (e: Error) => void;
  readonly #timers = new Map<TimerName, NodeJS.Timeout>();
  #frameMark = -1;
  #frameStarted = 0;
  #lastActivity = 0;
  #drainWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  #rehandshakeWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  #joinedWith: InviteRecord | null = null;
  #paused = false;

  constructor(socket: Duplex, start: LinkStart) {
    this.#socket = socket;
    this.#start = start;
    this.#options = start.options;
    this.role = start.role;
    this.closed = new Promise((r) => {
      this.#resolveClosed = r;
    });
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // The caller awaits `ready`; this keeps an early failure from being an unhandled rejection.
    this.ready.catch(() => {});
    this.#queue = new FrameQueue(
      this.#options.highWaterFrames ?? LINK_DEFAULTS.highWaterFrames,
      (paused) => this.#pressure(paused),
    );
    const o = this.#options;
    const backend = o.backend ?? nodeBackend;
    this.#handshake =
      start.role === 'initiator'
        ? new MeshHandshake({
            role: 'initiator',
            meshId: o.meshId,
            staticKey: o.staticKey,
            backend,
            expectedResponder: start.pin,
            ...(o.inject ? { inject: o.inject } : {}),
          })
        : new MeshHandshake({
            role: 'responder',
            meshId: o.meshId,
            staticKey: o.staticKey,
            backend,
            admitInitiator: (k) =>
              start.options.isMember(k) ? 'member' : start.options.invites ? 'joiner' : 'reject',
            ...(o.inject ? { inject: o.inject } : {}),
          });

    socket.on('data', (chunk: Uint8Array) => this.#onData(chunk));
    socket.on('end', () =>
      this.#fail(
        new UnexpectedEofError(
          'the peer ended the stream without an authenticated close record: possible truncation; ' +
            'anything in flight may be lost',
        ),
      ),
    );
    socket.on('close', () =>
      this.#fail(new UnexpectedEofError('the socket closed without an authenticated close record')),
    );
    socket.on('error', (cause: Error) =>
      this.#fail(new LinkSocketError(`the socket failed: ${cause.message}`, { cause })),
    );

    const handshakeMs = o.handshakeTimeoutMs ?? LINK_DEFAULTS.handshakeTimeoutMs;
    if (handshakeMs > 0) {
      this.#timer(
        'handshake',
        () =>
          this.#fail(
            new HandshakeTimeoutError(
              `the handshake did not finish within ${handshakeMs} ms (${this.#phase}): the peer is ` +
                'slow, stalled or not a mesh node',
            ),
          ),
        handshakeMs,
      );
    }
    this.#armIdle();
    if (start.role === 'initiator') {
      this.#guarded(() => this.#write(this.#handshake!.start()));
    }
  }

  /** The peer's authenticated static key (after the handshake). */
  get remoteStatic(): Uint8Array {
    return this.#requireSession().remoteStatic;
  }

  /** Channel binding of the current keys (changes after a re-handshake). */
  get handshakeHash(): Uint8Array {
    return this.#requireSession().handshakeHash;
  }

  /** Listener side: the invite this peer joined with, if it joined. */
  get joinedWith(): InviteRecord | null {
    return this.#joinedWith;
  }

  get isOpen(): boolean {
    return this.#phase === 'open';
  }

  get stats(): Readonly<SessionStats> | null {
    return this.#session?.stats ?? null;
  }

  /**
   * Seals and writes one application frame (fragmented as needed). Resolves when the socket
   * accepted it (after 'drain' if its buffer was full); rejects with LinkClosedError once closed.
   */
  send(frame: Uint8Array): Promise<void> {
    if (this.#phase !== 'open') return Promise.reject(this.#closedError('send'));
    const session = this.#session!;
    let parts: Uint8Array[];
    try {
      parts = session.sealFrameParts(frame);
    } catch (error) {
      // An oversized frame is the caller's mistake and leaves the link usable.
      if (error instanceof FrameTooLongError) return Promise.reject(error);
      this.#fail(error);
      return Promise.reject(error);
    }
    // Corked: the pieces leave in one vectored write, and nothing is copied in JS.
    this.#socket.cork();
    let flushed = true;
    for (const p of parts) flushed = this.#socket.write(p);
    this.#socket.uncork();
    if (session.rehandshakeDue) this.#startRehandshake();
    if (flushed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#drainWaiters.push({ resolve, reject });
      if (this.#drainWaiters.length === 1) {
        this.#socket.once('drain', () => {
          for (const w of this.#drainWaiters.splice(0)) w.resolve();
        });
      }
    });
  }

  /** Frames from the peer, in order. Ends on close; throws the error that closed the link. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#queue;
  }

  /** Rekeys our sending direction now (in-band REKEY record). */
  rekey(): void {
    if (this.#phase !== 'open') throw this.#closedError('rekey');
    this.#guarded(() => this.#write(this.#session!.rekey()));
  }

  /**
   * Runs a re-handshake over the live link (fresh X25519 and ML-KEM ephemerals, same identities).
   * On the listening side this asks the dialer to start one. Resolves when the new keys are in use.
   */
  rehandshake(): Promise<void> {
    if (this.#phase !== 'open') return Promise.reject(this.#closedError('re-handshake'));
    const p = new Promise<void>((resolve, reject) =>
      this.#rehandshakeWaiters.push({ resolve, reject }),
    );
    this.#startRehandshake();
    return p;
  }

  /** Sends an authenticated close record and ends the stream. Resolves with the close reason. */
  close(reason = '', code: number = CloseCode.normal): Promise<LinkCloseReason> {
    if (this.#reason) return this.closed;
    const session = this.#session;
    if (session && (this.#phase === 'open' || this.#phase === 'joining')) {
      let bytes: Uint8Array | null = null;
      try {
        bytes = session.close(code, reason);
      } catch {
        bytes = null;
      }
      this.#finish({ by: 'local', code, reason }, bytes);
    } else {
      this.#finish({ by: 'local', code, reason }, null);
    }
    return this.closed;
  }

  #onData(chunk: Uint8Array): void {
    if (this.#reason) return;
    this.#armIdle();
    this.#guarded(() => {
      for (const message of this.#decoder.push(chunk)) {
        if (this.#reason) return;
        this.#onMessage(message);
      }
      this.#armFrameTimer();
    });
  }

  #onMessage(message: Uint8Array): void {
    if (this.#handshake) {
      const step = this.#handshake.receive(message);
      if (step.reply) this.#write(step.reply);
      if (step.done) this.#onHandshakeDone(step.done);
      return;
    }
    for (const event of this.#session!.receive(message)) this.#onEvent(event);
  }

  #onHandshakeDone(result: MeshHandshakeResult): void {
    this.#handshake = null;
    const o = this.#options;
    this.#session = new MeshSession(result, {
      ...(o.maxFrameBytes === undefined ? {} : { maxFrameBytes: o.maxFrameBytes }),
      ...(o.rekeyAfterMessages === undefined ? {} : { rekeyAfterMessages: o.rekeyAfterMessages }),
      ...(o.rekeyAfterBytes === undefined ? {} : { rekeyAfterBytes: o.rekeyAfterBytes }),
      ...(o.rehandshakeAfterMessages === undefined
        ? {}
        : { rehandshakeAfterMessages: o.rehandshakeAfterMessages }),
    });
    if (this.#start.role === 'initiator' && this.#start.invite) {
      this.#write(this.#session.join(this.#start.invite));
      this.#phase = 'joining';
      return;
    }
    if (this.#session.state === 'awaiting-join') {
      this.#phase = 'joining';
      return;
    }
    this.#open();
  }

  #onEvent(event: SessionEvent): void {
    switch (event.type) {
      case 'frame':
        if (this.#options.onFrame) this.#options.onFrame(event.frame);
        else this.#queue.push(event.frame);
        return;
      case 'send':
        this.#write(event.bytes);
        return;
      case 'closed': {
        if (this.#phase === 'joining' && this.#start.role === 'initiator') {
          const error =
            event.code === CloseCode.inviteRejected
              ? new JoinRejectedError(
                  'the inviter rejected the invite (expired, already used, revoked, or not this ' +
                    'mesh): ask for a new one',
                )
              : new PeerClosedError(
                  `the inviter closed before accepting the join (code ${event.code}: ${event.reason})`,
                  event.code,
                  event.reason,
                );
          this.#finish({ by: 'error', error }, null, true);
          return;
        }
        this.#finish({ by: 'remote', code: event.code, reason: event.reason }, null, true);
        return;
      }
      case 'rehandshaked':
        for (const w of this.#rehandshakeWaiters.splice(0)) w.resolve();
        return;
      case 'rekeyed':
        return;
      case 'join':
        void this.#redeem(event.inviteId, event.proof);
        return;
      case 'join-accepted':
        this.#open();
        return;
    }
  }

  async #redeem(inviteId: Uint8Array, proof: Uint8Array): Promise<void> {
    if (this.#start.role !== 'responder') return;
    const o = this.#start.options;
    const session = this.#session!;
    try {
      const record = await o.invites!.redeem({
        inviteId,
        proof,
        handshakeHash: session.handshakeHash,
        now: (o.now ?? Date.now)(),
      });
      if (this.#reason) return;
      await o.onJoin?.(session.remoteStatic, record);
      if (this.#reason) return;
      this.#joinedWith = record;
      this.#write(session.acceptJoin());
      this.#open();
    } catch (error) {
      if (this.#reason) return;
      if (error instanceof InviteRejectedError) {
        // Tell the joiner it was refused, but not why (no oracle); the reason stays in `error`.
        let bytes: Uint8Array | null = null;
        try {
          bytes = session.close(CloseCode.inviteRejected, 'invite rejected');
        } catch {
          bytes = null;
        }
        this.#finish({ by: 'error', error }, bytes);
        return;
      }
      this.#fail(error);
    }
  }

  #open(): void {
    this.#phase = 'open';
    this.#clear('handshake');
    const o = this.#options;
    const rekeyMs = o.rekeyIntervalMs ?? LINK_DEFAULTS.rekeyIntervalMs;
    if (rekeyMs > 0) {
      const t = setInterval(() => {
        if (this.#phase === 'open') this.#guarded(() => this.#write(this.#session!.rekey()));
      }, rekeyMs);
      t.unref();
      this.#timers.set('rekey', t);
    }
    const rehandshakeMs = o.rehandshakeIntervalMs ?? LINK_DEFAULTS.rehandshakeIntervalMs;
    if (rehandshakeMs > 0 && this.role === 'initiator') {
      const t = setInterval(() => this.#startRehandshake(), rehandshakeMs);
      t.unref();
      this.#timers.set('rehandshake', t);
    }
    this.#resolveReady(this);
  }

  #startRehandshake(): void {
    if (this.#phase !== 'open') return;
    this.#guarded(() => {
      const bytes = this.#session!.startRehandshake();
      if (bytes) this.#write(bytes);
    });
  }

  #write(bytes: Uint8Array): void {
    this.#socket.write(bytes);
  }

  /**
   * The deadline of the partial frame in progress. One timer serves many frames: progress only
   * records when the current partial frame began; the timer re-arms for whatever time remains.
   */
  #armFrameTimer(): void {
    const ms = this.#options.frameTimeoutMs ?? LINK_DEFAULTS.frameTimeoutMs;
    if (ms <= 0 || this.#reason) return;
    if (this.#decoder.pendingBytes === 0) {
      this.#frameMark = -1;
      return;
    }
    if (this.#frameMark !== this.#decoder.framesCompleted) {
      this.#frameMark = this.#decoder.framesCompleted;
      this.#frameStarted = performance.now();
    }
    if (!this.#timers.has('frame')) this.#timer('frame', () => this.#checkFrameDeadline(ms), ms);
  }

  #checkFrameDeadline(ms: number): void {
    if (this.#reason || this.#frameMark === -1) return;
    const elapsed = performance.now() - this.#frameStarted;
    if (elapsed < ms) {
      this.#timer('frame', () => this.#checkFrameDeadline(ms), ms - elapsed);
      return;
    }
    this.#fail(
      new FrameTimeoutError(
        `a frame started arriving but was not complete within ${ms} ms ` +
          `(${this.#decoder.pendingBytes} bytes held): slow-trickle or stalled peer`,
      ),
    );
  }

  /** Notes activity; one timer checks it, so a busy link does not reset a timer per chunk. */
  #armIdle(): void {
    const ms = this.#options.idleTimeoutMs ?? LINK_DEFAULTS.idleTimeoutMs;
    if (ms <= 0 || this.#reason) return;
    this.#lastActivity = performance.now();
    if (!this.#timers.has('idle')) this.#timer('idle', () => this.#checkIdle(ms), ms);
  }

  #checkIdle(ms: number): void {
    if (this.#reason) return;
    const quiet = performance.now() - this.#lastActivity;
    if (quiet < ms) {
      this.#timer('idle', () => this.#checkIdle(ms), ms - quiet);
      return;
    }
    this.#fail(new IdleTimeoutError(`nothing arrived for ${ms} ms: the peer is gone or stalled`));
  }

  #pressure(paused: boolean): void {
    if (paused === this.#paused || this.#reason) return;
    this.#paused = paused;
    if (paused) this.#socket.pause();
    else this.#socket.resume();
  }

  #guarded(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (this.#reason) return;
    const e = error instanceof Error ? error : new Error(String(error));
    this.#finish({ by: 'error', error: e }, null);
  }

  /**
   * Ends the link once: timers off, secrets dropped, waiters told, socket ended (after `last`, the
   * close record) or destroyed.
   */
  #finish(reason: LinkCloseReason, last: Uint8Array | null, peerClosed = false): void {
    if (this.#reason) return;
    this.#reason = reason;
    this.#phase = 'closed';
    for (const name of [...this.#timers.keys()]) this.#clear(name);
    this.#handshake?.destroy();
    this.#handshake = null;
    this.#session?.destroy();
    const error = reason.by === 'error' ? reason.error : null;
    const closedError = this.#closedError('continue');
    this.#queue.end(error ?? undefined);
    for (const w of this.#drainWaiters.splice(0)) w.reject(closedError);
    for (const w of this.#rehandshakeWaiters.splice(0)) w.reject(closedError);
    this.#rejectReady(
      error ??
        (reason.by === 'remote'
          ? new PeerClosedError(
              `the peer closed the link before it opened (code ${reason.code}: ${reason.reason})`,
              reason.code,
              reason.reason,
            )
          : closedError),
    );
    if (this.#paused) this.#socket.resume();
    if (last || peerClosed || reason.by === 'local') {
      // Orderly: flush the close record, half-close, and give the peer a moment to do the same.
      this.#socket.end(last ?? undefined);
      const linger = this.#options.closeLingerMs ?? LINK_DEFAULTS.closeLingerMs;
      const t = setTimeout(() => this.#socket.destroy(), linger);
      t.unref();
      this.#socket.once('close', () => clearTimeout(t));
    } else {
      this.#socket.destroy();
    }
    this.#resolveClosed(reason);
  }

  #closedError(action: string): LinkClosedError {
    const r = this.#reason;
    if (!r)
      return new LinkClosedError(`cannot ${action}: the link is not open yet (${this.#phase})`);
    if (r.by === 'error') {
      return new LinkClosedError(
        `cannot ${action}: the link closed on ${r.error.name}: ${r.error.message}`,
        {
          cause: r.error,
        },
      );
    }
    return new LinkClosedError(
      `cannot ${action}: the link was closed by the ${r.by} side (${r.reason || r.code})`,
    );
  }

  #requireSession(): MeshSession {
    if (!this.#session) throw new LinkClosedError('the handshake has not finished');
    return this.#session;
  }

  /** (Re)starts a one-shot timer. */
  #timer(name: TimerName, fn: () => void, ms: number): void {
    this.#clear(name);
    this.#timers.set(
      name,
      setTimeout(() => {
        this.#timers.delete(name);
        fn();
      }, ms),
    );
  }

  #clear(name: TimerName): void {
    const t = this.#timers.get(name);
    if (t) clearTimeout(t);
    this.#timers.delete(name);
  }
}
