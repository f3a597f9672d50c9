import type { core } from 'zod';

/**
 * Every error the runtime raises is a TroupeError with a stable `code`, so an error that
 * crossed the wire comes back as the same class it left as.
 */
export abstract class TroupeError extends Error {
  abstract readonly code: string;
  /** Structured detail that travels with the error across processes. */
  get detail(): unknown {
    return undefined;
  }
}

/** An ask's deadline passed before a reply arrived. */
export class Timeout extends TroupeError {
  readonly code = 'Timeout';
  override readonly name = 'Timeout';
  constructor(
    readonly target: string,
    readonly type: string,
    readonly afterMs: number,
  ) {
    super(`ask ${type} to ${target} timed out after ${afterMs} ms`);
  }
  override get detail(): unknown {
    return { target: this.target, type: this.type, afterMs: this.afterMs };
  }
}

/** No actor lives at the address (or no instance of the sharded type exists). Raised at once. */
export class NoSuchActor extends TroupeError {
  readonly code = 'NoSuchActor';
  override readonly name = 'NoSuchActor';
  constructor(readonly target: string) {
    super(`no actor at ${target}`);
  }
  override get detail(): unknown {
    return { target: this.target };
  }
}

/** The message failed the target's schema, or the target has no handler for its type. */
export class Rejected extends TroupeError {
  readonly code = 'Rejected';
  override readonly name = 'Rejected';
  constructor(
    readonly target: string,
    readonly type: string,
    readonly issues: readonly core.$ZodIssue[] | readonly { message: string }[],
    reason?: string,
  ) {
    super(
      `${target} rejected ${type}: ${reason ?? issues.map((i) => describeIssue(i)).join('; ')}`,
    );
  }
  override get detail(): unknown {
    return { target: this.target, type: this.type, issues: this.issues };
  }
}

function describeIssue(i: { message: string; path?: readonly PropertyKey[] }): string {
  return i.path && i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message;
}

/** The target's mailbox is full and its overflow policy failed or dropped this message. */
export class MailboxFull extends TroupeError {
  readonly code = 'MailboxFull';
  override readonly name = 'MailboxFull';
  constructor(
    readonly target: string,
    readonly capacity: number,
  ) {
    super(`mailbox of ${target} is full (capacity ${capacity})`);
  }
  override get detail(): unknown {
    return { target: this.target, capacity: this.capacity };
  }
}

/** The target stopped (or the system shut down) before it handled the message. */
export class Stopped extends TroupeError {
  readonly code = 'Stopped';
  override readonly name = 'Stopped';
  constructor(
    readonly target: string,
    reason = 'stopped',
  ) {
    super(`${target} ${reason}`);
  }
  override get detail(): unknown {
    return { target: this.target };
  }
}

/** The encoded message is larger than the broker accepts; checked before publishing. */
export class PayloadTooLarge extends TroupeError {
  readonly code = 'PayloadTooLarge';
  override readonly name = 'PayloadTooLarge';
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`message is ${size} bytes, over the server's max_payload of ${max}`);
  }
  override get detail(): unknown {
    return { size: this.size, max: this.max };
  }
}

/** The handler threw, or reported a failure, while handling an ask. */
export class ActorFailed extends TroupeError {
  readonly code = 'ActorFailed';
  override readonly name = 'ActorFailed';
  constructor(
    readonly target: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${target} failed: ${reason}`, options);
  }
  override get detail(): unknown {
    return { target: this.target, reason: this.reason };
  }
}

/** The watchdog found the actor hung (handler over its time, or heartbeats missed). */
export class Hung extends TroupeError {
  readonly code = 'Hung';
  override readonly name = 'Hung';
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`${target} hung: ${reason}`);
  }
  override get detail(): unknown {
    return { target: this.target, reason: this.reason };
  }
}

/** The ask handler finished without replying and without deferring its reply. */
export class NoReply extends TroupeError {
  readonly code = 'NoReply';
  override readonly name = 'NoReply';
  constructor(
    readonly target: string,
    readonly type: string,
  ) {
    super(`${target} handled ${type} without replying`);
  }
  override get detail(): unknown {
    return { target: this.target, type: this.type };
  }
}

/** Bad input to a public entry point: the message says which argument and why. */
export class InvalidArgument extends TroupeError {
  readonly code = 'InvalidArgument';
  override readonly name = 'InvalidArgument';
}

/** The transport cannot carry the message (not connected, closed, refused). */
export class TransportError extends TroupeError {
  readonly code = 'TransportError';
  override readonly name = 'TransportError';
}

/**
 * The broker refused a publish or a subscription: the connection's credentials do not allow
 * the subject (least-privilege agents, actors/process). Raised instead of a silent drop.
 */
export class PermissionDenied extends TroupeError {
  readonly code = 'PermissionDenied';
  override readonly name = 'PermissionDenied';
  constructor(
    readonly operation: 'publish' | 'subscription',
    readonly subject: string,
    options?: ErrorOptions,
  ) {
    super(`NATS permission denied: ${operation} to ${subject}`, options);
  }
  override get detail(): unknown {
    return { operation: this.operation, subject: this.subject };
  }
}

/** A nats.js PermissionViolationError as a PermissionDenied; null for any other error. */
export function permissionDenied(err: unknown): PermissionDenied | null {
  const e = err as { name?: unknown; operation?: unknown; subject?: unknown } | null;
  if (e === null || typeof e !== 'object' || e.name !== 'PermissionViolationError') return null;
  const op = e.operation === 'subscription' ? 'subscription' : 'publish';
  return new PermissionDenied(op, String(e.subject ?? ''), { cause: err });
}

/** An error received from another process whose code this process does not know. */
export class RemoteError extends TroupeError {
  override readonly name = 'RemoteError';
  constructor(
    readonly code: string,
    message: string,
    readonly remoteDetail: unknown,
  ) {
    super(message);
  }
  override get detail(): unknown {
    return this.remoteDetail;
  }
}

interface WireError {
  code: string;
  message: string;
  detail?: unknown;
}

export function toWireError(err: unknown): WireError {
  if (err instanceof TroupeError) {
    return { code: err.code, message: err.message, detail: err.detail };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'ActorFailed', message, detail: { reason: message } };
}

/** Rebuild the typed error an envelope carried; unknown codes become RemoteError. */
export function fromWireError(wire: unknown): TroupeError {
  // Whatever arrived (nil, a string, a number): a typed error, never an exception here.
  const w: WireError =
    typeof wire === 'object' &&
    wire !== null &&
    typeof (wire as WireError).code === 'string' &&
    typeof (wire as WireError).message === 'string'
      ? (wire as WireError)
      : { code: 'MalformedError', message: `malformed error reply: ${describeWire(wire)}` };
  const d = (typeof w.detail === 'object' && w.detail !== null ? w.detail : {}) as Record<
    string,
    unknown
  >;
  const s = (k: string): string => String(d[k] ?? '');
  const n = (k: string): number => Number(d[k] ?? 0);
  let e: TroupeError;
  switch (w.code) {
    case 'Timeout':
      e = new Timeout(s('target'), s('type'), n('afterMs'));
      break;
    case 'NoSuchActor':
      e = new NoSuchActor(s('target'));
      break;
    case 'Rejected':
      e = new Rejected(s('target'), s('type'), wireIssues(d.issues));
      break;
    case 'MailboxFull':
      e = new MailboxFull(s('target'), n('capacity'));
      break;
    case 'Stopped':
      e = new Stopped(s('target'));
      break;
    case 'PayloadTooLarge':
      e = new PayloadTooLarge(n('size'), n('max'));
      break;
    case 'ActorFailed':
      e = new ActorFailed(s('target'), s('reason'));
      break;
    case 'NoReply':
      e = new NoReply(s('target'), s('type'));
      break;
    case 'Hung':
      e = new Hung(s('target'), s('reason'));
      break;
    case 'InvalidArgument':
      e = new InvalidArgument(w.message);
      break;
    case 'PermissionDenied':
      e = new PermissionDenied(
        d.operation === 'subscription' ? 'subscription' : 'publish',
        s('subject'),
      );
      break;
    default:
      return new RemoteError(w.code, w.message, w.detail);
  }
  // Keep the remote wording: it names the remote path and reason exactly.
  e.message = w.message;
  return e;
}

function describeWire(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  const t = typeof v;
  return t === 'object' ? (Array.isArray(v) ? 'an array' : 'an object without code/message') : t;
}

function wireIssues(v: unknown): { message: string }[] {
  if (!Array.isArray(v)) return [];
  // Issues as they came (zod's path and code kept), each at least with a string message.
  return v.map((i) =>
    typeof i === 'object' && i !== null && typeof i.message === 'string'
      ? (i as { message: string })
      : { message: String(i) },
  );
}
