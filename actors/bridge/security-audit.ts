/** Security audit events per second before the rest are only counted (a flood must not flood the ledger). */
const AUDIT_BUDGET_PER_SECOND = 20;

/**
 * The bridge's audit events. Security events a remote party can provoke are rate-limited: at
 * most AUDIT_BUDGET_PER_SECOND a second, the rest counted in one `security.events_suppressed`.
 */
export class SecurityAudit {
  readonly #record: (kind: string, data: Record<string, unknown>) => void;
  #window = { at: 0, used: 0, suppressed: 0 };

  /** `record` writes one audit event; it must not throw. */
  constructor(record: (kind: string, data: Record<string, unknown>) => void) {
    this.#record = record;
  }

  event(kind: string, data: Record<string, unknown>): void {
    this.#record(kind, data);
  }

  security(kind: string, data: Record<string, unknown>): void {
    const w = this.#window;
    const now = Date.now();
    if (now - w.at >= 1000) {
      if (w.suppressed > 0) this.#record('security.events_suppressed', { count: w.suppressed });
      this.#window = { at: now, used: 0, suppressed: 0 };
    }
    if (this.#window.used++ < AUDIT_BUDGET_PER_SECOND) this.#record(kind, data);
    else this.#window.suppressed++;
  }
}
