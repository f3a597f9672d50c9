import type { core } from 'zod';
import { NamedError } from '../protocols/named-error.ts';

export { NamedError };

/** What a TroupeError takes besides its message: the `cause`, and the detail that travels. */
export interface TroupeErrorOptions extends ErrorOptions {
  /** Structured detail that travels with the error across processes (JSON/MessagePack-safe). */
  readonly detail?: unknown;
}

/**
 * Every error the runtime raises is a TroupeError with a stable `code`, so an error that
 * crossed the wire comes back as the same class it left as. The `code` strings are protocol:
 * they never change, even when a class is renamed.
 */
export abstract class TroupeError extends NamedError {
  abstract readonly code: string;
  readonly #detail: unknown;
  constructor(message?: string, options?: TroupeErrorOptions) {
    super(message, options);
    this.#detail = options?.detail;
  }
  /** Structured detail that travels with the error across processes. */
  get detail(): unknown {
    return this.#detail;
  }

  /**
   * The base of an error class that is nothing but a message and a fixed wire `code`, so such a
   * class is one line: `class ListenError extends BridgeError.withCode('ListenError') {}`. It
   * stays a real class: its own `name`, `instanceof` the base it was made from, `code` typed as
   * the literal.
   */
  static withCode<T extends TroupeError, C extends string>(
    this: TroupeErrorClass<T>,
    code: C,
  ): TroupeErrorClass<T & { readonly code: C }> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class it is called on, the base.
    const Base = this as TroupeErrorClass<TroupeError>;
    abstract class WithCode extends Base {
      override readonly code = code;
    }
    const made: TroupeErrorClass<TroupeError & { readonly code: C }> = WithCode;
    // Narrowing to the base's own instance type: WithCode extends exactly `this`.
    return made as TroupeErrorClass<T & { readonly code: C }>;
  }
}

/** A TroupeError class whose constructor takes only a message and options. */
export type TroupeErrorClass<T extends TroupeError> = abstract new (
  message?: string,
  options?: TroupeErrorOptions,
) => T;

/** An ask's deadline passed before a reply arrived. */
export class TimeoutError extends TroupeError {
  readonly code = 'Timeout';
  constructor(
    readonly target: string,
    readonly type: string,
    readonly afterMs: number,
  ) {
    super(`ask ${type} to ${target} timed out after ${afterMs} ms`, {
      detail: { target, type, afterMs },
    });
  }
}

/** No actor lives at the address (or no instance of the sharded type exists). Raised at once. */
export class NoSuchActorError extends TroupeError {
  readonly code = 'NoSuchActor';
  constructor(readonly target: string) {
    super(`no actor at ${target}`, { detail: { target } });
  }
}

/** The message failed the target's schema, or the target has no handler for its type. */
export class RejectedError extends TroupeError {
  readonly code = 'Rejected';
  constructor(
    readonly target: string,
    readonly type: string,
    readonly issues: readonly core.$ZodIssue[] | readonly { message: string }[],
    reason?: string,
  ) {
    super(`${target} rejected ${type}: ${reason ?? describeIssues(issues)}`, {
      detail: { target, type, issues },
    });
  }
}

/** Issues as `path: message` (the path left out when empty), joined with `; `. */
export function describeIssues(
  issues: readonly { message: string; path?: readonly PropertyKey[] }[],
  root = '',
): string {
  return issues
    .map((i) => {
      const at = i.path && i.path.length > 0 ? i.path.map(String).join('.') : root;
      return at === '' ? i.message : `${at}: ${i.message}`;
    })
    .join('; ');
}

/** The target's mailbox is full and its overflow policy failed or dropped this message. */
export class MailboxFullError extends TroupeError {
  readonly code = 'MailboxFull';
  constructor(
    readonly target: string,
    readonly capacity: number,
  ) {
    super(`mailbox of ${target} is full (capacity ${capacity})`, { detail: { target, capacity } });
  }
}

/** The target stopped (or the system shut down) before it handled the message. */
export class StoppedError extends TroupeError {
  readonly code = 'Stopped';
  constructor(
    readonly target: string,
    reason = 'stopped',
  ) {
    super(`${target} ${reason}`, { detail: { target } });
  }
}

/** The encoded message is larger than the broker accepts; checked before publishing. */
export class PayloadTooLargeError extends TroupeError {
  readonly code = 'PayloadTooLarge';
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`message is ${size} bytes, over the server's max_payload of ${max}`, {
      detail: { size, max },
    });
  }
}

/** The handler threw, or reported a failure, while handling an ask. */
export class ActorFailedError extends TroupeError {
  readonly code = 'ActorFailed';
  constructor(
    readonly target: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${target} failed: ${reason}`, { ...options, detail: { target, reason } });
  }
}

/** The watchdog found the actor hung (handler over its time, or heartbeats missed). */
export class HungError extends TroupeError {
  readonly code = 'Hung';
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`${target} hung: ${reason}`, { detail: { target, reason } });
  }
}

/** The ask handler finished without replying and without deferring its reply. */
export class NoReplyError extends TroupeError {
  readonly code = 'NoReply';
  constructor(
    readonly target: string,
    readonly type: string,
  ) {
    super(`${target} handled ${type} without replying`, { detail: { target, type } });
  }
}

/** Bad input to a public entry point: the message says which argument and why. */
export class InvalidArgumentError extends TroupeError.withCode('InvalidArgument') {}

/** The transport cannot carry the message (not connected, closed, refused). */
export class TransportError extends TroupeError.withCode('TransportError') {}

/**
 * The broker refused a publish or a subscription: the connection's credentials do not allow
 * the subject (least-privilege agents, actors/process). Raised instead of a silent drop.
 */
export class PermissionDeniedError extends TroupeError {
  readonly code = 'PermissionDenied';
  constructor(
    readonly operation: 'publish' | 'subscription',
    readonly subject: string,
    options?: ErrorOptions,
  ) {
    super(`NATS permission denied: ${operation} to ${subject}`, {
      ...options,
      detail: { operation, subject },
    });
  }
}

/** A nats.js PermissionViolationError as a PermissionDeniedError; null for any other error. */
export function permissionDenied(err: unknown): PermissionDeniedError | null {
  const e = err as { name?: unknown; operation?: unknown; subject?: unknown } | null;
  if (e === null || typeof e !== 'object' || e.name !== 'PermissionViolationError') return null;
  const op = e.operation === 'subscription' ? 'subscription' : 'publish';
  return new PermissionDeniedError(op, String(e.subject ?? ''), { cause: err });
}

/** An error received from another process whose code this process does not know. */
export class RemoteError extends TroupeError {
  constructor(
    readonly code: string,
    message: string,
    readonly remoteDetail: unknown,
  ) {
    super(message, { detail: remoteDetail });
  }
}

// The names before the `…Error` convention: the same classes (value and type), so `instanceof`
// and `catch` code written against either name keeps working. The wire `code`s did not change.
export {
  /** @deprecated use ActorFailedError */
  ActorFailedError as ActorFailed,
  /** @deprecated use HungError */
  HungError as Hung,
  /** @deprecated use InvalidArgumentError */
  InvalidArgumentError as InvalidArgument,
  /** @deprecated use MailboxFullError */
  MailboxFullError as MailboxFull,
  /** @deprecated use NoReplyError */
  NoReplyError as NoReply,
  /** @deprecated use NoSuchActorError */
  NoSuchActorError as NoSuchActor,
  /** @deprecated use PayloadTooLargeError */
  PayloadTooLargeError as PayloadTooLarge,
  /** @deprecated use PermissionDeniedError */
  PermissionDeniedError as PermissionDenied,
  /** @deprecated use RejectedError */
  RejectedError as Rejected,
  /** @deprecated use StoppedError */
  StoppedError as Stopped,
  /** @deprecated use TimeoutError */
  TimeoutError as Timeout,
};

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

/** A wire error's detail as it arrived, with readers that never throw. */
interface Detail {
  s(key: string): string;
  n(key: string): number;
  raw: Record<string, unknown>;
  message: string;
}

/** How each known wire code becomes its class again; unknown codes become RemoteError. */
const FROM_WIRE: Readonly<Record<string, (d: Detail) => TroupeError>> = {
  Timeout: (d) => new TimeoutError(d.s('target'), d.s('type'), d.n('afterMs')),
  NoSuchActor: (d) => new NoSuchActorError(d.s('target')),
  Rejected: (d) => new RejectedError(d.s('target'), d.s('type'), wireIssues(d.raw.issues)),
  MailboxFull: (d) => new MailboxFullError(d.s('target'), d.n('capacity')),
  Stopped: (d) => new StoppedError(d.s('target')),
  PayloadTooLarge: (d) => new PayloadTooLargeError(d.n('size'), d.n('max')),
  ActorFailed: (d) => new ActorFailedError(d.s('target'), d.s('reason')),
  NoReply: (d) => new NoReplyError(d.s('target'), d.s('type')),
  Hung: (d) => new HungError(d.s('target'), d.s('reason')),
  InvalidArgument: (d) => new InvalidArgumentError(d.message),
  PermissionDenied: (d) =>
    new PermissionDeniedError(
      d.raw.operation === 'subscription' ? 'subscription' : 'publish',
      d.s('subject'),
    ),
};

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
  const build = Object.hasOwn(FROM_WIRE, w.code) ? FROM_WIRE[w.code] : undefined;
  if (build === undefined) return new RemoteError(w.code, w.message, w.detail);
  const raw = (typeof w.detail === 'object' && w.detail !== null ? w.detail : {}) as Record<
    string,
    unknown
  >;
  const e = build({
    s: (k) => String(raw[k] ?? ''),
    n: (k) => Number(raw[k] ?? 0),
    raw,
    message: w.message,
  });
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
