import { randomBytes } from 'node:crypto';
import { AuditData, AuditKind, type AuditSink, MemoryAuditSink } from './audit.ts';
import type { Cell } from './cell.ts';
import { InvalidArgument } from './errors.ts';
import type { Letter } from './letter.ts';

/** Audit events of one node: ids, validation, and the sink they go to (the ledger's, once attached). */
export class AuditTrail {
  auditSink: AuditSink = new MemoryAuditSink();
  private auditCounter = 0;
  private readonly auditPrefix = randomBytes(6).toString('hex');

  constructor(
    private readonly name: string,
    private readonly node: string,
  ) {}

  /** Swap the sink, e.g. when the ledger actor starts; returns the previous one. */
  setSink(sink: AuditSink): AuditSink {
    const prev = this.auditSink;
    this.auditSink = sink;
    return prev;
  }

  /** Record an audit event on behalf of `actor` (default: the runtime itself). */
  audit(
    kind: string,
    data?: Record<string, unknown>,
    actor = 'sys/runtime',
    trace: string | null = null,
  ): void {
    const k = AuditKind.safeParse(kind);
    if (!k.success)
      throw new InvalidArgument(
        `audit kind ${JSON.stringify(kind)}: ${k.error.issues[0]!.message}`,
      );
    if (data !== undefined && !AuditData.safeParse(data).success) {
      throw new InvalidArgument('audit data must be a plain object');
    }
    this.auditSink.emit({
      id: `${this.auditPrefix}-${++this.auditCounter}`,
      kind,
      system: this.name,
      node: this.node,
      actor,
      at: Date.now(),
      trace,
      data: data ?? {},
    });
  }

  auditFrom(
    cell: Cell,
    parent: Letter | null,
    kind: string,
    data: Record<string, unknown> | undefined,
  ): void {
    this.audit(kind, data, cell.path, parent?.trace ?? null);
  }
}
