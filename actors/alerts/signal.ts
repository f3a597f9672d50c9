import type { AuditEvent, RuntimeEvent } from '../../runtime/index.ts';

/**
 * Something that happened somewhere in the fleet, in one shape whatever its source: a runtime
 * event from any node, a ledger alarm, a mesh link event, a NATS connection status. Rules match
 * signals; new sources only need to produce them.
 */
export interface Signal {
  readonly source: 'runtime' | 'ledger' | 'mesh' | 'nats';
  /** The source's own kind: `crashed`, `gaveUp`, `fork`, `mesh.peer_lost`, `slowConsumer`… */
  readonly kind: string;
  readonly system: string;
  readonly node: string;
  /** What it is about: an actor path, a peer site, a ledger, a connection. */
  readonly subject: string;
  readonly reason: string;
  readonly at: number;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A runtime event (runtime/events.ts, or any kind a node publishes on its event subject). */
export function fromRuntimeEvent(
  system: string,
  node: string,
  e: RuntimeEvent | Record<string, unknown>,
): Signal | null {
  const r = e as Record<string, unknown>;
  if (typeof r.kind !== 'string') return null;
  const subject =
    typeof r.path === 'string'
      ? r.path
      : typeof r.to === 'string'
        ? r.to
        : typeof r.subject === 'string'
          ? r.subject
          : node;
  const reason =
    typeof r.reason === 'string'
      ? r.reason
      : typeof r.restarts === 'number'
        ? `restart ${r.restarts}`
        : '';
  return {
    source: 'runtime',
    kind: r.kind,
    system,
    node,
    subject,
    reason,
    at: typeof r.at === 'number' ? r.at : Date.now(),
    data: r,
  };
}

/** What a ledger announces on `troupe.<sys>.evt.<node>.ledger` with kind `alert`. */
export function fromLedgerAnnounce(
  system: string,
  node: string,
  m: Record<string, unknown>,
): Signal | null {
  if (m.kind !== 'alert' || typeof m.alert !== 'object' || m.alert === null) return null;
  const a = m.alert as Record<string, unknown>;
  if (typeof a.kind !== 'string') return null;
  return {
    source: 'ledger',
    kind: a.kind,
    system,
    node,
    subject: typeof m.ledger === 'string' ? m.ledger : 'ledger',
    reason: typeof a.reason === 'string' ? a.reason : describe(a),
    at: typeof m.at === 'number' ? m.at : Date.now(),
    data: a,
  };
}

/** Audit events that are alarms: `ledger.alert` and the mesh bridge's link events. */
export function fromAudit(e: AuditEvent): Signal | null {
  if (e.kind === 'ledger.alert') {
    const a = e.data;
    if (typeof a.kind !== 'string') return null;
    return {
      source: 'ledger',
      kind: a.kind,
      system: e.system,
      node: e.node,
      subject: e.actor,
      reason: typeof a.reason === 'string' ? a.reason : describe(a),
      at: e.at,
      data: a,
    };
  }
  if (e.kind.startsWith('mesh.peer_')) {
    const site = typeof e.data.site === 'string' ? e.data.site : 'unknown';
    return {
      source: 'mesh',
      kind: e.kind,
      system: e.system,
      node: e.node,
      subject: site,
      reason: typeof e.data.reason === 'string' ? e.data.reason : '',
      at: e.at,
      data: e.data,
    };
  }
  return null;
}

function describe(a: Record<string, unknown>): string {
  return Object.entries(a)
    .filter(([k]) => k !== 'kind')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}
