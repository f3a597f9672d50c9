import type { NatsConnection, Status } from '@nats-io/transport-node';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { meshWildcard, subjectPrefix } from '../../protocols/subjects/index.ts';
import type { ActorSystem, ModelUsage, RuntimeEvent } from '../../runtime/index.ts';
import type { Kernel } from '../../runtime/kernel.ts';
import { kernelOf } from '../../runtime/kernel-access.ts';
import type { KernelTelemetry } from './kernel-telemetry.ts';

/** Handler latency buckets (seconds): from a fast local tell to a slow model call. */
const LATENCY_BUCKETS = [
  0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120,
];

/** A dead letter's reason as a label: its category, not its free text (bounded cardinality). */
export function deadLetterCategory(reason: string): string {
  if (reason.startsWith('rejected')) return 'rejected';
  if (reason.startsWith('mailboxFull')) return 'mailbox_full';
  if (reason.startsWith('stopped')) return 'stopped';
  if (reason.startsWith('no such actor')) return 'no_such_actor';
  if (reason.startsWith('deadline')) return 'deadline_passed';
  if (reason.startsWith('ask without')) return 'no_reply_subject';
  return 'other';
}

/** The kernel's per-type message counters: name, help and the count each one reads. */
const MESSAGE_COUNTERS: [string, string, 'received' | 'sent'][] = [
  ['troupe_messages_received_total', 'Messages handed to a handler, by actor type', 'received'],
  ['troupe_messages_sent_total', 'Tells and asks sent by actors, by actor type', 'sent'],
];

/** What one read of the ledger gives every ledger gauge. */
type LedgerView = { size: number; cursor: number; lag: number; alerts: number };

/** The ledger gauges: name, help and the field of the ledger's view each one shows. */
const LEDGER_GAUGES: [string, string, keyof LedgerView][] = [
  ['troupe_ledger_entries', 'Entries in the audit ledger', 'size'],
  ['troupe_ledger_stream_cursor', 'Last audit stream sequence the ledger took', 'cursor'],
  ['troupe_ledger_lag_messages', 'Audit stream messages not yet in the ledger', 'lag'],
  ['troupe_ledger_alerts', 'Alerts the ledger raised since it started', 'alerts'],
];

/** The runtime events counted per actor type. */
type LifecycleKind = 'crashed' | 'restarted' | 'hung' | 'gaveUp';

/** What the ledger gauges read at scrape time (an AuditLedger fits). */
export interface LedgerSource {
  status(timeoutMs?: number): Promise<{ size: number; cursor: string; alerts: number }>;
  readonly stream: { lastSeq(): Promise<bigint> };
}

/** What the mesh gauges read at scrape time: the bridge's status (BridgeHandle + its system). */
export interface MeshSource {
  status(): Promise<{
    peers: Array<{ site: string; connected: boolean; held: number }>;
    /** The forwarder's counts (out, in, replies, dropped…), not per peer. */
    forwarded: Record<string, number>;
  }>;
}

/** Work that must finish within a scrape, or the gauge keeps its last value. */
async function within<T>(ms: number, p: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((res) => {
    timer = setTimeout(() => res(undefined), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One node's Prometheus metrics: its own registry (several nodes may share a process), the
 * kernel counters read at scrape time, counters fed by runtime events and NATS statuses, and
 * gauges for the ledger and the mesh when those are given.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly latency: Histogram<'actor_type'>;
  private kernel: KernelTelemetry | null = null;
  private readonly types = new Map<string, string>();
  /** The supervision events counted by actor type, one counter per event kind. */
  private readonly lifecycle: Record<LifecycleKind, Counter<'actor_type'>>;
  private readonly deadLetters: Counter<'reason'>;
  private readonly nats: Counter<'event'>;
  private readonly tokens: Counter<'agent' | 'model' | 'direction'>;
  private readonly cost: Counter<'agent' | 'model'>;
  private readonly modelCalls: Counter<'agent' | 'model'>;
  private readonly toolCalls: Counter<'agent' | 'tool' | 'outcome'>;
  private readonly meshBytes: Counter<'peer'>;
  private statusIter: { stop(): void } | null = null;
  private unsubscribe: (() => void) | null = null;
  private meshSub: { unsubscribe(): void } | null = null;

  constructor(
    private readonly system: ActorSystem,
    opts: { defaultMetrics: boolean; ledger?: LedgerSource; mesh?: MeshSource },
  ) {
    const r = this.registry;
    r.setDefaultLabels({ system: system.name, node: system.node });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: r });
    const self = this;
    this.latency = new Histogram({
      name: 'troupe_handler_duration_seconds',
      help: 'Handler run time by actor type (a sample: one message in N per type, and every traced one)',
      labelNames: ['actor_type'],
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
    for (const [name, help, field] of MESSAGE_COUNTERS)
      new Counter({
        name,
        help,
        labelNames: ['actor_type'],
        registers: [r],
        collect() {
          this.reset();
          for (const s of self.kernel?.types.values() ?? [])
            this.inc({ actor_type: s.type }, s[field]);
        },
      });
    new Counter({
      name: 'troupe_asks_total',
      help: 'Asks from this node by outcome',
      labelNames: ['outcome'],
      registers: [r],
      collect() {
        this.reset();
        const a = self.kernel?.asks;
        if (a) for (const [outcome, n] of Object.entries(a)) this.inc({ outcome }, n);
      },
    });
    new Gauge({
      name: 'troupe_mailbox_depth',
      help: 'Messages waiting in mailboxes, by actor type',
      labelNames: ['actor_type'],
      registers: [r],
      collect() {
        this.reset();
        for (const [type, depth] of self.mailboxDepths()) this.set({ actor_type: type }, depth);
      },
    });
    new Gauge({
      name: 'troupe_actors',
      help: 'Live actors by type',
      labelNames: ['actor_type'],
      registers: [r],
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const row of self.system.treeRows())
          counts.set(row.type, (counts.get(row.type) ?? 0) + 1);
        for (const [type, n] of counts) this.set({ actor_type: type }, n);
      },
    });
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name, help, labelNames, registers: [r] });
    this.lifecycle = {
      restarted: counter('troupe_actor_restarts_total', 'Actor restarts', ['actor_type']),
      crashed: counter('troupe_actor_crashes_total', 'Actor crashes', ['actor_type']),
      hung: counter('troupe_actor_hangs_total', 'Handlers the watchdog found hung', ['actor_type']),
      gaveUp: counter('troupe_supervisor_gave_up_total', 'Supervisors that gave up', [
        'actor_type',
      ]),
    };
    this.deadLetters = counter('troupe_dead_letters_total', 'Dead letters by reason', ['reason']);
    this.nats = counter('troupe_nats_events_total', 'NATS connection events', ['event']);
    this.tokens = counter('troupe_model_tokens_total', 'Model tokens by agent and model', [
      'agent',
      'model',
      'direction',
    ]);
    this.cost = counter('troupe_model_cost_usd_total', 'Model cost in US dollars', [
      'agent',
      'model',
    ]);
    this.modelCalls = counter('troupe_model_calls_total', 'Model calls', ['agent', 'model']);
    this.toolCalls = counter('troupe_tool_calls_total', 'Tool calls by outcome', [
      'agent',
      'tool',
      'outcome',
    ]);
    this.meshBytes = counter(
      'troupe_mesh_sent_bytes_total',
      'Bytes this node handed the mesh bridge for each peer site',
      ['peer'],
    );
    const nc = system.nats;
    if (nc !== undefined) this.watchNats(nc);
    if (opts.ledger) this.ledgerGauges(opts.ledger);
    if (opts.mesh) this.meshGauges(opts.mesh);
    this.unsubscribe = system.on((e) => this.onEvent(e));
    for (const row of system.treeRows()) this.types.set(row.path, row.type);
  }

  attach(kernel: KernelTelemetry): void {
    this.kernel = kernel;
  }

  private typeOf(path: string): string {
    return this.types.get(path) ?? kernelOf(this.system).cellAt(path)?.def.type ?? 'unknown';
  }

  private onEvent(e: RuntimeEvent): void {
    switch (e.kind) {
      case 'started':
        this.types.set(e.path, e.type);
        return;
      case 'stopped': {
        // Keep the type for the stop's last events; forget it once the actor is gone.
        const path = e.path;
        queueMicrotask(() => {
          if (kernelOf(this.system).cellAt(path) === undefined) this.types.delete(path);
        });
        return;
      }
      case 'crashed':
      case 'restarted':
      case 'hung':
      case 'gaveUp':
        this.lifecycle[e.kind].inc({ actor_type: this.typeOf(e.path) });
        return;
      case 'deadLetter':
        this.deadLetters.inc({ reason: deadLetterCategory(e.reason) });
        return;
    }
  }

  private mailboxDepths(): Map<string, number> {
    const depths = new Map<string, number>();
    const visit = (c: ReturnType<Kernel['cellAt']>): void => {
      for (let k = c!.firstChild; k !== null; k = k.next) {
        const d = k.mailbox === null ? 0 : k.mailbox.length;
        depths.set(k.def.type, (depths.get(k.def.type) ?? 0) + d);
        visit(k);
      }
    };
    visit(kernelOf(this.system).rootCell);
    return depths;
  }

  private watchNats(nc: NatsConnection): void {
    const r = this.registry;
    const iter = nc.status();
    this.statusIter = iter as unknown as { stop(): void };
    void (async () => {
      try {
        for await (const s of iter as AsyncIterable<Status>) {
          const event =
            s.type === 'slowConsumer'
              ? 'slow_consumer'
              : s.type === 'staleConnection'
                ? 'stale_connection'
                : s.type;
          if (event === 'ping' || event === 'update') continue;
          this.nats.inc({ event });
        }
      } catch {
        // The connection closed: nothing more to count.
      }
    })();
    const stats = (pick: (s: ReturnType<NatsConnection['stats']>) => number) =>
      function collect(this: Counter) {
        this.reset();
        if (!nc.isClosed()) this.inc(pick(nc.stats()));
      };
    const counters: [string, string, (s: ReturnType<NatsConnection['stats']>) => number][] = [
      ['troupe_nats_received_bytes_total', 'Bytes received from NATS', (s) => s.inBytes],
      ['troupe_nats_sent_bytes_total', 'Bytes sent to NATS', (s) => s.outBytes],
      [
        'troupe_nats_received_messages_total',
        'NATS messages received (a batch of envelopes is one)',
        (s) => s.inMsgs,
      ],
      [
        'troupe_nats_sent_messages_total',
        'NATS messages sent (a batch of envelopes is one)',
        (s) => s.outMsgs,
      ],
    ];
    for (const [name, help, pick] of counters)
      new Counter({ name, help, registers: [r], collect: stats(pick) });
  }

  private ledgerGauges(ledger: LedgerSource): void {
    const r = this.registry;
    let last: LedgerView | null = null;
    const read = async (): Promise<LedgerView | null> => {
      const st = await within(2_000, ledger.status(2_000));
      if (st === undefined) return last;
      const head = await within(2_000, ledger.stream.lastSeq());
      const cursor = Number(st.cursor);
      const lag = head === undefined ? (last?.lag ?? 0) : Math.max(0, Number(head) - cursor);
      last = { size: st.size, cursor, lag, alerts: st.alerts };
      return last;
    };
    let pending: Promise<LedgerView | null> | null = null;
    // One read serves every ledger gauge of a scrape.
    const once = () => {
      pending ??= read().finally(() => {
        setImmediate(() => {
          pending = null;
        });
      });
      return pending;
    };
    for (const [name, help, field] of LEDGER_GAUGES)
      new Gauge({
        name,
        help,
        registers: [r],
        async collect() {
          const v = await once();
          if (v) this.set(v[field]);
        },
      });
  }

  private meshGauges(mesh: MeshSource): void {
    const r = this.registry;
    let pending: ReturnType<MeshSource['status']> | null = null;
    const once = () => {
      pending ??= mesh.status().finally(() => {
        setImmediate(() => {
          pending = null;
        });
      });
      return within(2_000, pending);
    };
    type Status = Awaited<ReturnType<MeshSource['status']>>;
    // Every mesh series is written afresh from one read of the bridge's status per scrape; a
    // read that fails or comes late keeps the last values.
    const fromStatus = <M extends { reset(): void }>(write: (metric: M, st: Status) => void) =>
      async function collect(this: M) {
        const st = await once();
        if (!st) return;
        this.reset();
        write(this, st);
      };
    const perPeer = (name: string, help: string, pick: (p: Status['peers'][number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['peer'],
        registers: [r],
        collect: fromStatus<Gauge<'peer'>>((g, st) => {
          for (const p of st.peers) g.set({ peer: p.site }, pick(p));
        }),
      });
    perPeer(
      'troupe_mesh_link_up',
      'Whether the encrypted link to a peer site is open (1) or not (0)',
      (p) => (p.connected ? 1 : 0),
    );
    perPeer(
      'troupe_mesh_held_frames',
      'Frames waiting for the link to a peer to come back',
      (p) => p.held,
    );
    new Counter({
      name: 'troupe_mesh_frames_total',
      help: 'The bridge forwarder counts: out, in, replies, dropped, refused, expired, no_responders',
      labelNames: ['kind'],
      registers: [r],
      collect: fromStatus<Counter<'kind'>>((c, st) => {
        for (const [k, n] of Object.entries(st.forwarded)) {
          c.inc({ kind: k.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`) }, n);
        }
      }),
    });
    const nc = this.system.nats;
    if (nc !== undefined) {
      // What this node hands the bridge, per peer: `troupe.<sys>.mesh.<peer>.>`.
      const prefix = subjectPrefix('mesh', this.system.name);
      this.meshSub = nc.subscribe(meshWildcard(this.system.name, '*'), {
        callback: (_err, msg) => {
          const peer = msg.subject.slice(prefix.length, msg.subject.indexOf('.', prefix.length));
          this.meshBytes.inc({ peer }, msg.data.length);
        },
      });
    }
  }

  modelUsage(u: ModelUsage): void {
    this.modelCalls.inc({ agent: u.agent, model: u.model });
    this.tokens.inc({ agent: u.agent, model: u.model, direction: 'input' }, u.inputTokens);
    this.tokens.inc({ agent: u.agent, model: u.model, direction: 'output' }, u.outputTokens);
    if (u.costUsd !== undefined) this.cost.inc({ agent: u.agent, model: u.model }, u.costUsd);
  }

  toolCall(agent: string, tool: string, outcome: 'ok' | 'error'): void {
    this.toolCalls.inc({ agent, tool, outcome });
  }

  /** The text exposition format, as `/metrics` serves it. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    this.unsubscribe?.();
    this.statusIter?.stop();
    try {
      this.meshSub?.unsubscribe();
    } catch {
      // The connection is already closed.
    }
    this.registry.clear();
  }
}
