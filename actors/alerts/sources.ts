import type { Status, Subscription } from '@nats-io/transport-node';
import { decodeBody } from '../../protocols/envelope/index.ts';
import { auditWildcard, eventWildcard, subjectPrefix } from '../../protocols/subjects/index.ts';
import type { ActorSystem, AuditEvent, AuditSink } from '../../runtime/index.ts';
import { interesting } from './rules.ts';
import { fromAudit, fromLedgerAnnounce, fromRuntimeEvent, type Signal } from './signal.ts';

/** Decodes an audit batch from the stream (actors/ledger's decodeAuditBatch). */
export type AuditDecoder = (bytes: Uint8Array) => readonly AuditEvent[];

const SEEN_AUDIT = 4096;

/**
 * Where signals come from. This node's runtime events from the system itself (they do not
 * depend on the broker being up); every other node's from `troupe.<sys>.evt.<node>.<kind>`,
 * ledger alarms included; mesh link events and ledger alerts from audit events, this process's
 * through a tap on its audit sink and, with a decoder, every node's from the audit subjects;
 * slow-consumer statuses from this node's NATS connection. Nothing here throws into a broker
 * callback or a listener.
 */
export class SignalSources {
  private readonly subs: Subscription[] = [];
  private off: (() => void) | null = null;
  private statusIter: { stop(): void } | null = null;
  private tap: { sink: AuditSink; under: AuditSink } | null = null;
  private readonly seen = new Set<string>();

  constructor(
    private readonly system: ActorSystem,
    private readonly deliver: (s: Signal) => void,
  ) {}

  start(auditDecoder: AuditDecoder | undefined): void {
    const sys = this.system;
    this.off = sys.on((e) => {
      if (!interesting(e.kind)) return;
      const s = fromRuntimeEvent(sys.name, sys.node, e);
      if (s) this.deliver(s);
    });
    this.tapAudit();
    const nc = sys.nats;
    if (nc === undefined) return;
    const evt = subjectPrefix('event', sys.name);
    this.subs.push(
      nc.subscribe(eventWildcard(sys.name), {
        callback: (err, msg) => {
          if (err) return;
          try {
            const [node, kind] = msg.subject.slice(evt.length).split('.');
            if (!node || !kind || (node === sys.node && kind !== 'ledger') || !interesting(kind))
              return;
            const body = decodeBody(msg.data);
            if (typeof body !== 'object' || body === null) return;
            const s =
              kind === 'ledger'
                ? fromLedgerAnnounce(sys.name, node, body as Record<string, unknown>)
                : fromRuntimeEvent(sys.name, node, body as Record<string, unknown>);
            if (s && (s.source !== 'ledger' || this.first(`L${node}${JSON.stringify(s.data)}`)))
              this.deliver(s);
          } catch {
            // A malformed event is not an alert; the broker callback must not throw.
          }
        },
      }),
    );
    if (auditDecoder) {
      this.subs.push(
        nc.subscribe(auditWildcard(sys.name), {
          callback: (err, msg) => {
            if (err) return;
            try {
              for (const e of auditDecoder(msg.data)) this.audit(e, true);
            } catch {
              // Not an audit batch: ignored.
            }
          },
        }),
      );
    }
    const iter = nc.status();
    this.statusIter = iter as unknown as { stop(): void };
    void (async () => {
      try {
        for await (const st of iter as AsyncIterable<Status>) {
          if (st.type !== 'slowConsumer') continue;
          this.deliver({
            source: 'nats',
            kind: 'slowConsumer',
            system: sys.name,
            node: sys.node,
            subject: st.sub.getSubject(),
            reason: `${st.pending} messages pending on ${st.sub.getSubject()}`,
            at: Date.now(),
            data: { pending: st.pending },
          });
        }
      } catch {
        // The connection closed.
      }
    })();
  }

  /** Audit events pass through here on their way to the real sink: tap the alarms among them. */
  private tapAudit(): void {
    const under = this.system.auditLog;
    const sink: AuditSink = {
      emit: (e) => {
        this.audit(e, false);
        under.emit(e);
      },
      flush: () => under.flush(),
      close: () => under.close(),
    };
    this.system.setAuditSink(sink);
    this.tap = { sink, under };
  }

  private audit(e: AuditEvent, fromWire: boolean): void {
    // Ledger alarms from the wire come on their event subject already.
    if (fromWire && e.kind === 'ledger.alert') return;
    if (e.kind !== 'ledger.alert' && !e.kind.startsWith('mesh.peer_')) return;
    // A ledger alarm may come twice (its event subject and its audit record): one key for both.
    const key = e.kind === 'ledger.alert' ? `L${e.node}${JSON.stringify(e.data)}` : e.id;
    if (!this.first(key)) return;
    const s = fromAudit(e);
    if (s) this.deliver(s);
  }

  /** True the first time a key is seen (among the last few thousand). */
  private first(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > SEEN_AUDIT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }

  stop(): void {
    this.off?.();
    this.off = null;
    this.statusIter?.stop();
    for (const s of this.subs.splice(0)) {
      try {
        s.unsubscribe();
      } catch {
        // Already closed.
      }
    }
    // Put the audit sink back, unless something else has replaced ours since.
    if (this.tap && this.system.auditLog === this.tap.sink)
      this.system.setAuditSink(this.tap.under);
    this.tap = null;
  }
}
