/**
 * The wire envelope every troupe message travels in. Encoded as one MessagePack array so a
 * batch is simply envelopes back to back (MessagePack values are self-delimiting).
 */
export const ENVELOPE_VERSION = 1;

/** What an envelope carries. Numbers on the wire, names in code. */
export const Kind = {
  tell: 0,
  ask: 1,
  reply: 2,
  error: 3,
  system: 4,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface Envelope {
  /** Sender-unique message id (a counter per sending node). */
  id: number;
  kind: Kind;
  /** Target: an actor path (`team/coder`) or `@<type>` for any instance of a sharded type. */
  to: string;
  /** Sender actor path, or null when sent from outside any actor. */
  from: string | null;
  /** Message type, the key of the target's message map. */
  type: string;
  /** Ask correlation id: set on asks, and on the reply or error that answers them. */
  corr: number | null;
  /** Absolute deadline, epoch milliseconds; 0 when none. */
  deadline: number;
  /** W3C traceparent, or null. */
  trace: string | null;
  /** How many times the message has been forwarded; guards against routing loops. */
  hops: number;
  /** The body, itself MessagePack-encoded. Kept as bytes so routing never parses it. */
  body: Uint8Array;
}

/** Body of an `error` envelope: a typed error that crossed the wire. */
export interface WireError {
  code: string;
  message: string;
  /** Structured detail, e.g. zod issues for `Rejected`. */
  detail?: unknown;
}
