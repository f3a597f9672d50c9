import { z } from 'zod';

/**
 * One thing an actor did, for the audit ledger: lifecycle, messages between agents
 * (metadata and a body commitment, never the raw body by default), model and tool calls,
 * alerts, security events. Plain data; the sink decides how it travels.
 */
export interface AuditEvent {
  /** Globally unique id: the JetStream `Nats-Msg-Id`, so retries never duplicate. */
  readonly id: string;
  /** Dotted kind, e.g. `lifecycle.started`, `model.call`, `mesh.join`, `security.handshake_failed`. */
  readonly kind: string;
  readonly system: string;
  readonly node: string;
  /** Actor path that emitted it (or `sys/...` for the runtime). */
  readonly actor: string;
  /** Epoch milliseconds, by the emitter's clock. */
  readonly at: number;
  readonly trace: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

export const AuditKind = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, 'dotted lower-case words');
export const AuditData = z.record(z.string(), z.unknown());

/** Where audit events go. The ledger supplies a JetStream (or local file) sink. */
export interface AuditSink {
  emit(e: AuditEvent): void;
  /** Resolves when everything emitted so far is durably accepted. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The default without a ledger: keeps the most recent events in memory for tools and tests. */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  constructor(private readonly keep = 10_000) {}
  emit(e: AuditEvent): void {
    this.events.push(e);
    if (this.events.length > this.keep) this.events.splice(0, this.events.length - this.keep);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
