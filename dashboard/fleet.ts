import type { TreeRow } from '../index.ts';

/** How long an actor stays red after a crash, even once its supervisor restarted it. */
export const FAILED_SHOWN_MS = 15_000;
const MAX_ALERTS = 100;
const MAX_EVENTS = 50;

/** One actor as the page draws it. */
export interface ActorView {
  path: string;
  type: string;
  node: string;
  status: string;
  restarts: number;
  uptimeMs: number;
  lastFailure: string | null;
  /** When it last crashed, hung or gave up (epoch ms), if it did while we watched. */
  failedAt: number | null;
  supervisor: boolean;
  mailboxDepth: number | null;
  /** Messages a second over the last poll interval; null before two readings. */
  rate: number | null;
  process: TreeRow['process'] | null;
  /** Health the page colours by: ok, failed (recent crash), hung, stopped, gaveUp. */
  health: 'ok' | 'failed' | 'hung' | 'stopped' | 'gaveUp';
}

export interface LedgerView {
  ledger: string;
  node: string;
  origin: string | null;
  size: number | null;
  root: string | null;
  cursor: string | null;
  cosignedSize: number | null;
  witnesses: string[];
  /** `ok`, `halted: <why>`, or `alert: <kind>` when an alarm came after the last checkpoint. */
  verification: string;
  alerts: number;
  checkpointAt: number | null;
}

export interface PeerView {
  site: string;
  connected: boolean;
  held: number;
  endpoints: string[];
}

/** What the alerts actor publishes on `troupe.<sys>.evt.<node>.alert`. */
export interface AlertView {
  rule: string;
  severity: string;
  actor: string;
  message: string;
  node: string;
  at: number;
}

export interface EventView {
  node: string;
  kind: string;
  path: string;
  text: string;
  at: number;
}

/** One point per second: the fleet's message rate (last reading) and restarts in that second. */
export interface RatePoint {
  t: number;
  /** Messages a second across the fleet, as the latest tree poll measured it. */
  messages: number;
  restarts: number;
}

export interface FleetSnapshot {
  system: string;
  at: number;
  nodes: string[];
  actors: ActorView[];
  ledgers: LedgerView[];
  peers: PeerView[] | null;
  bridge: string;
  alerts: AlertView[];
  events: EventView[];
  series: RatePoint[];
  windowS: number;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && /^\d+$/.test(v)
      ? Number(v)
      : null;

/**
 * The fleet as the dashboard sees it, folded from tree polls (the whole picture, every
 * second) and events (crashes and restarts the moment they happen). Bounded: rows are the
 * fleet's actors, the series covers the window, alerts and events keep the last few.
 */
export class Fleet {
  private readonly actors = new Map<string, ActorView>();
  private readonly counts = new Map<string, { messages: number; at: number }>();
  private readonly failures = new Map<string, number>();
  private readonly ledgers = new Map<string, LedgerView>();
  private peers: PeerView[] | null = null;
  private readonly alerts: AlertView[] = [];
  private readonly events: EventView[] = [];
  private readonly series: RatePoint[] = [];

  constructor(
    readonly system: string,
    readonly windowS: number,
    readonly bridge: string,
  ) {}

  private point(now: number): RatePoint {
    const t = Math.floor(now / 1000);
    let last = this.series[this.series.length - 1];
    if (last === undefined || last.t < t) {
      // Seconds between polls carry the last measured rate (no restarts): the plot keeps its
      // time axis and does not saw-tooth when polls and seconds do not line up.
      const from = last === undefined ? t : Math.max(last.t + 1, t - this.windowS);
      const rate = last?.messages ?? 0;
      for (let s = from; s <= t; s++) this.series.push({ t: s, messages: rate, restarts: 0 });
      while (this.series.length > this.windowS) this.series.shift();
      last = this.series[this.series.length - 1]!;
    }
    return last;
  }

  /** A full poll of every node's rows: actors not in it are gone. */
  rows(rows: readonly TreeRow[], now = Date.now()): void {
    const seen = new Set<string>();
    const p = this.point(now);
    let total = 0;
    let measured = false;
    for (const r of rows) {
      const key = `${r.node}|${r.path}`;
      seen.add(key);
      let rate: number | null = null;
      const prev = this.counts.get(key);
      if (r.messages !== undefined) {
        if (prev !== undefined && now > prev.at) {
          const delta = Math.max(0, r.messages - prev.messages);
          rate = (delta * 1000) / (now - prev.at);
          total += rate;
          measured = true;
        }
        this.counts.set(key, { messages: r.messages, at: now });
      }
      const failedAt = this.failures.get(r.path) ?? null;
      this.actors.set(key, {
        path: r.path,
        type: r.type,
        node: r.node,
        status: r.status,
        restarts: Math.max(r.restarts, this.actors.get(key)?.restarts ?? 0),
        uptimeMs: r.uptimeMs,
        // Rows gathered just before a crash arrive after its event: they must not erase the
        // reason the event gave (the cell keeps it, so later rows carry it too).
        lastFailure: r.lastFailure ?? this.actors.get(key)?.lastFailure ?? null,
        failedAt,
        supervisor: r.supervisor,
        mailboxDepth: r.mailboxDepth ?? null,
        rate,
        process: r.process ?? null,
        health: 'ok',
      });
    }
    if (measured) p.messages = total;
    for (const key of [...this.actors.keys()]) {
      if (!seen.has(key)) {
        this.actors.delete(key);
        this.counts.delete(key);
      }
    }
    this.refreshHealth(now);
  }

  private refreshHealth(now: number): void {
    for (const a of this.actors.values()) {
      const failedAt = this.failures.get(a.path) ?? null;
      a.failedAt = failedAt;
      a.health =
        a.status === 'hung'
          ? 'hung'
          : a.status === 'gaveUp'
            ? 'gaveUp'
            : a.status === 'stopped' || a.status === 'stopping'
              ? 'stopped'
              : failedAt !== null && now - failedAt < FAILED_SHOWN_MS
                ? 'failed'
                : 'ok';
    }
  }

  private actorsAt(path: string): ActorView[] {
    return [...this.actors.values()].filter((a) => a.path === path);
  }

  /** One event from `troupe.<sys>.evt.<node>.<kind>` (body already decoded). */
  event(node: string, kind: string, body: unknown, now = Date.now()): void {
    if (typeof body !== 'object' || body === null) return;
    const e = body as Record<string, unknown>;
    switch (kind) {
      case 'crashed':
      case 'hung':
      case 'gaveUp': {
        const path = str(e.path);
        if (path === null) return;
        this.failures.set(path, now);
        for (const a of this.actorsAt(path)) {
          a.lastFailure = str(e.reason) ?? a.lastFailure;
          if (kind !== 'crashed') a.status = kind;
        }
        this.note(node, kind, path, str(e.reason) ?? '', now);
        break;
      }
      case 'restarted': {
        const path = str(e.path);
        if (path === null) return;
        this.point(now).restarts++;
        const n = num(e.restarts);
        for (const a of this.actorsAt(path)) {
          a.restarts = Math.max(a.restarts + (n === null ? 1 : 0), n ?? 0);
          a.status = 'running';
        }
        this.note(node, kind, path, n === null ? '' : `restart ${n}`, now);
        break;
      }
      case 'started':
      case 'stopped': {
        const path = str(e.path);
        if (path !== null) this.note(node, kind, path, str(e.reason) ?? str(e.type) ?? '', now);
        break;
      }
      case 'ledger':
        this.ledgerEvent(node, e);
        break;
      case 'alert':
        this.alert(node, e, now);
        break;
      default:
        return;
    }
    this.refreshHealth(now);
  }

  private note(node: string, kind: string, path: string, text: string, at: number): void {
    this.events.push({ node, kind, path, text, at });
    if (this.events.length > MAX_EVENTS) this.events.shift();
  }

  private ledgerEvent(node: string, e: Record<string, unknown>): void {
    const name = str(e.ledger);
    if (name === null) return;
    const key = `${node}|${name}`;
    let l = this.ledgers.get(key);
    if (l === undefined) {
      l = {
        ledger: name,
        node,
        origin: str(e.origin),
        size: null,
        root: null,
        cursor: null,
        cosignedSize: null,
        witnesses: [],
        verification: 'ok',
        alerts: 0,
        checkpointAt: null,
      };
      this.ledgers.set(key, l);
    }
    switch (e.kind) {
      case 'checkpoint':
        l.size = num(e.size);
        l.root = str(e.root);
        l.cursor = str(e.cursor);
        l.checkpointAt = num(e.at);
        if (!l.verification.startsWith('halted')) l.verification = 'ok';
        break;
      case 'cosigned': {
        l.cosignedSize = num(e.size);
        const w = str(e.witness);
        if (w !== null && !l.witnesses.includes(w)) l.witnesses.push(w);
        break;
      }
      case 'halted':
        l.verification = `halted: ${str(e.halt) ?? '?'} (${str(e.reason) ?? ''})`;
        break;
      case 'alert': {
        l.alerts++;
        const a = (e.alert ?? {}) as Record<string, unknown>;
        if (!l.verification.startsWith('halted')) l.verification = `alert: ${str(a.kind) ?? '?'}`;
        break;
      }
    }
  }

  /** A ledger's own answer to `status`: the head, halts and cosignatures as it holds them. */
  ledgerStatus(
    node: string,
    path: string,
    st: {
      origin: string;
      size: number;
      root: string;
      cursor: string;
      checkpoint: { size: number; root: string } | null;
      cosignedSize: number;
      halted: { kind: string; reason: string } | null;
      alerts: number;
      witnesses: { witness: string }[];
    },
  ): void {
    this.ledgerEvent(node, { ledger: path, origin: st.origin });
    const l = this.ledgers.get(`${node}|${path}`)!;
    l.origin = st.origin;
    if (st.checkpoint !== null && (l.size === null || st.checkpoint.size >= l.size)) {
      l.size = st.checkpoint.size;
      l.root = st.checkpoint.root;
    }
    l.cursor = st.cursor;
    l.cosignedSize = st.cosignedSize > 0 ? st.cosignedSize : l.cosignedSize;
    l.witnesses = [...new Set([...l.witnesses, ...st.witnesses.map((w) => w.witness)])];
    l.alerts = Math.max(l.alerts, st.alerts);
    if (st.halted !== null) l.verification = `halted: ${st.halted.kind} (${st.halted.reason})`;
  }

  private alert(node: string, e: Record<string, unknown>, now: number): void {
    // The agreed body is { rule, severity, actor, message, at }; the alerts actor's richer
    // Alert (subject, title, text) reads the same.
    const rule = str(e.rule);
    if (rule === null) return;
    this.alerts.push({
      rule,
      severity: str(e.severity) ?? 'info',
      actor: str(e.actor) ?? str(e.subject) ?? '',
      message: str(e.message) ?? str(e.text) ?? str(e.title) ?? '',
      node,
      at: num(e.at) ?? now,
    });
    if (this.alerts.length > MAX_ALERTS) this.alerts.shift();
  }

  /** The bridge's `peers` answer, or null when no bridge answers. */
  setPeers(peers: PeerView[] | null): void {
    this.peers = peers;
  }

  snapshot(now = Date.now()): FleetSnapshot {
    this.point(now);
    this.refreshHealth(now);
    const actors = [...this.actors.values()];
    return {
      system: this.system,
      at: now,
      nodes: [...new Set(actors.map((a) => a.node))].sort(),
      actors,
      ledgers: [...this.ledgers.values()],
      peers: this.peers,
      bridge: this.bridge,
      alerts: [...this.alerts].reverse(),
      events: [...this.events].reverse(),
      series: [...this.series],
      windowS: this.windowS,
    };
  }
}
