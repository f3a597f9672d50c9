import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { decodeBody, encodeBody } from '../../protocols/envelope/index.ts';
import type { Cell, ChildSettings } from '../cell.ts';
import type { ActorDef } from '../define-actor.ts';
import { InvalidArgument, NoSuchActor, toWireError } from '../errors.ts';
import type { RuntimeEvent } from '../events.ts';
import { LogBudget, type NodeStats } from '../node-stats.ts';
import type { NormalizedChildSpec } from '../supervision/child-spec.ts';
import type { ExitNotices } from '../supervision/exit-notices.ts';
import {
  anySpawnSubject,
  ctlSubject,
  ExitReport,
  Heartbeat,
  heartbeatSubject,
  RestartRequest,
  SpawnRequest,
  StopRequest,
  type TreeRow,
  treeSubject,
} from './control-protocol.ts';
import { parseControlBody } from './parse-control-body.ts';
import { RemoteChild, type RemoteChildOwner } from './remote-child.ts';

/** What the control plane needs from its system. */
export interface ControlHost {
  readonly name: string;
  readonly node: string;
  readonly log: Logger;
  cellAt(path: string): Cell | undefined;
  spawnHosted(def: ActorDef, req: SpawnRequest): Cell;
  treeRows(): TreeRow[];
  emit(e: RuntimeEvent): void;
  readonly stats: NodeStats;
  /** Record an audit event (control actions and refusals). */
  audit(kind: string, data?: Record<string, unknown>, actor?: string): void;
  /** A remote child exited: hand it to its supervisor like a local child's exit. */
  readonly exits: Pick<ExitNotices, 'childExited'>;
}

interface Tracked {
  child: RemoteChild;
  supervisor: Cell;
  since: number;
  restarts: number;
}

/** How long a child on `node: '*'` waits for a host unless its spec says (waitForHostMs). */
const DEFAULT_HOST_WAIT_MS = 300_000;

/** Missed node heartbeats before the node counts as lost. */
const LOST_AFTER_BEATS = 3;

/**
 * Supervision across processes. A node hosts child types for supervisors elsewhere
 * (`host(defs)`), publishes a heartbeat, and reports its hosted children's exits; a
 * supervising node keeps a proxy per remote child and treats a silent host as a crash.
 */
export class RemoteControl implements RemoteChildOwner {
  readonly system: string;
  private readonly hosted = new Map<string, ActorDef>();
  private readonly subs: Subscription[] = [];
  private readonly tracked = new Map<string, Tracked>();
  private readonly beats = new Map<string, { last: number; intervalMs: number }>();
  private hbTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private hbSub: Subscription | null = null;
  private readonly faultLog = new LogBudget(10);

  constructor(
    readonly nc: NatsConnection,
    private readonly sys: ControlHost,
    private readonly heartbeatMs: number,
    /** Who this node's own control requests say asked: `user@node`, or the node. */
    readonly requester: string = sys.node,
  ) {
    this.system = sys.name;
  }

  /**
   * A broker callback that can never throw into nats.js (which would end the connection's
   * read loop): an exception is counted and logged within a budget.
   */
  private guard(where: string, fn: (m: Msg) => void): (err: Error | null, m: Msg) => void {
    return (err, m) => {
      if (err) {
        this.fault(where, m, err);
        return;
      }
      try {
        fn(m);
      } catch (e) {
        this.fault(where, m, e);
      }
    };
  }

  private fault(where: string, m: Msg | undefined, err: unknown): void {
    this.sys.stats.callbackErrors++;
    if (
      this.faultLog.take((n) =>
        this.sys.log.warn({ suppressed: n }, 'more control errors not logged'),
      )
    )
      this.sys.log.error({ where, subject: m?.subject, err }, 'control callback failed');
  }

  /** Decode and validate a control body; anything else is refused with a typed error. */
  private parse<T>(
    schema: {
      safeParse(
        v: unknown,
      ): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };
    },
    m: Msg,
    what: string,
  ): T {
    let v: unknown;
    try {
      v = decodeBody(m.data);
    } catch {
      this.sys.stats.malformedInbound++;
      throw new InvalidArgument(`bad ${what} request: not MessagePack`);
    }
    const r = schema.safeParse(v);
    if (!r.success) {
      this.sys.stats.malformedInbound++;
      throw new InvalidArgument(`bad ${what} request: ${r.error.issues[0]?.message ?? 'invalid'}`);
    }
    return r.data;
  }

  /** Every control action is logged and audited with who asked (as the request states it). */
  private record(
    verb: string,
    path: string,
    by: string | undefined,
    extra?: Record<string, unknown>,
  ): void {
    this.sys.stats.controlActions++;
    const who = by ?? 'unstated';
    this.sys.log.info({ verb, actor: path, by: who, ...extra }, 'control request');
    this.sys.audit(`control.${verb}`, { path, by: who, ...extra });
  }

  /** System actors belong to the runtime: nothing outside the process stops or replaces them. */
  private refuseSystem(verb: string, path: string, by: string | undefined): void {
    if (path !== 'sys' && !path.startsWith('sys/')) return;
    this.sys.stats.controlRefused++;
    const who = by ?? 'unstated';
    if (this.faultLog.take())
      this.sys.log.warn({ verb, actor: path, by: who }, 'control request refused: system actor');
    this.sys.audit('control.refused', { verb, path, by: who, why: 'system actor' });
    throw new InvalidArgument(`${path} belongs to the runtime: ${verb} refused`);
  }

  start(): void {
    const { name, node } = this.sys;
    this.serve(ctlSubject(name, node, 'spawn'), (m) => this.onSpawn(m));
    this.serve(ctlSubject(name, node, 'stop'), (m) => this.onStop(m));
    this.serve(ctlSubject(name, node, 'restart'), (m) => this.onRestart(m));
    this.subs.push(
      this.nc.subscribe(ctlSubject(name, node, 'exit'), {
        callback: this.guard('exit', (m) => this.onExit(m)),
      }),
    );
    this.subs.push(
      this.nc.subscribe(treeSubject(name), {
        callback: this.guard('tree', (m) => {
          m.respond(encodeBody([...this.sys.treeRows(), ...this.waitingRows()]));
        }),
      }),
    );
    if (this.heartbeatMs > 0) {
      const beat = encodeBody({ node, intervalMs: this.heartbeatMs });
      const subject = heartbeatSubject(name, node);
      this.hbTimer = setInterval(() => {
        try {
          if (!this.nc.isClosed()) this.nc.publish(subject, beat);
        } catch (err) {
          this.fault('heartbeat', undefined, err);
        }
      }, this.heartbeatMs);
      this.hbTimer.unref();
      this.nc.publish(subject, beat);
    }
  }

  /** Offer these types to supervisors on other nodes (`node: '*'` in a child spec lands on any host). */
  host(defs: readonly ActorDef[]): void {
    for (const def of defs) {
      if (this.hosted.has(def.type)) continue;
      this.hosted.set(def.type, def);
      this.serve(
        anySpawnSubject(this.system, def.type),
        (m) => this.onSpawn(m),
        `spawn-${def.type}`,
      );
    }
  }

  private serve(subject: string, handle: (m: Msg) => Promise<string>, queue?: string): void {
    this.subs.push(
      this.nc.subscribe(subject, {
        queue,
        callback: this.guard(subject, (m) => {
          const answer = (body: unknown): void => {
            try {
              m.respond(encodeBody(body));
            } catch (err) {
              this.fault(subject, m, err);
            }
          };
          handle(m).then(
            (node) => answer({ ok: true, node }),
            (err: unknown) => answer({ ok: false, ...toWireError(err) }),
          );
        }),
      }),
    );
  }

  private async onSpawn(m: Msg): Promise<string> {
    const r = { data: this.parse(SpawnRequest, m, 'spawn') };
    this.refuseSystem('spawn', r.data.path, r.data.by);
    const def = this.hosted.get(r.data.type);
    if (!def) throw new NoSuchActor(`type ${r.data.type} is not hosted on node ${this.sys.node}`);
    this.record('spawn', r.data.path, r.data.by, {
      type: r.data.type,
      supervisor: `${r.data.supervisor.node}:${r.data.supervisor.path}`,
    });
    const existing = this.sys.cellAt(r.data.path);
    if (existing !== undefined && !existing.stopped)
      await existing.stop('replaced by a new incarnation');
    const cell = this.sys.spawnHosted(def, r.data);
    await cell.whenStarted();
    return this.sys.node;
  }

  private async onStop(m: Msg): Promise<string> {
    const r = { data: this.parse(StopRequest, m, 'stop') };
    this.refuseSystem('stop', r.data.path, r.data.by);
    this.record('stop', r.data.path, r.data.by, { reason: r.data.reason });
    const cell = this.sys.cellAt(r.data.path);
    if (cell !== undefined)
      await cell.stop(r.data.reason, r.data.timeoutMs ?? Number.POSITIVE_INFINITY);
    return this.sys.node;
  }

  private async onRestart(m: Msg): Promise<string> {
    const r = { data: this.parse(RestartRequest, m, 'restart') };
    this.refuseSystem('restart', r.data.path, r.data.by);
    this.record('restart', r.data.path, r.data.by);
    const cell = this.sys.cellAt(r.data.path);
    if (cell === undefined || cell.stopped) throw new NoSuchActor(r.data.path);
    await cell.restartInPlace();
    await cell.whenStarted();
    return this.sys.node;
  }

  /** A child hosted here exited: tell the node of its supervisor. */
  reportExit(
    cell: Cell,
    supervisorNode: string,
    reason: string,
    abnormal: boolean,
    phase: 'start' | 'message' | 'exit',
  ): void {
    if (this.nc.isClosed()) return;
    const report: ExitReport = { path: cell.path, node: this.sys.node, reason, abnormal, phase };
    this.nc.publish(ctlSubject(this.system, supervisorNode, 'exit'), encodeBody(report));
  }

  private onExit(m: Msg): void {
    const r = parseControlBody(ExitReport, m.data);
    if (!r.success) {
      this.sys.stats.malformedInbound++;
      if (this.faultLog.take())
        this.sys.log.warn({ issue: r.error.issues[0]?.message }, 'malformed exit report dropped');
      return;
    }
    const t = this.tracked.get(r.data.path);
    if (!t || t.child.node !== r.data.node) return;
    if (r.data.abnormal) t.child.markSuspended();
    else t.child.markGone();
    this.sys.exits.childExited(t.supervisor, t.child, r.data.reason, r.data.abnormal, r.data.phase);
  }

  /** A supervisor starts a child on another node (`spec.node`, or `*` for any host of the type). */
  spawnChild(
    supervisor: Cell,
    spec: NormalizedChildSpec,
    settings: ChildSettings,
    restarts: number,
  ): RemoteChild {
    const type = spec.start.def.type;
    const path = `${supervisor.path}/${spec.id}`;
    const body: SpawnRequest = {
      type,
      path,
      args: spec.start.args,
      supervisor: { node: this.sys.node, path: supervisor.path },
      by: this.requester,
      settings: {
        ...settings,
        shutdownMs: Number.isFinite(settings.shutdownMs) ? settings.shutdownMs : null,
      },
      restarts,
    };
    const subject =
      spec.node === '*'
        ? anySpawnSubject(this.system, type)
        : ctlSubject(this.system, spec.node!, 'spawn');
    this.watchBeats();
    const wait =
      spec.node === '*' ? { deadlineMs: spec.waitForHostMs ?? DEFAULT_HOST_WAIT_MS } : null;
    const child = new RemoteChild(this, path, type, subject, body, wait);
    this.tracked.set(path, { child, supervisor, since: Date.now(), restarts });
    return child;
  }

  waiting(child: RemoteChild): void {
    this.sys.log.warn(
      { actor: child.path, type: child.type },
      `waiting for a node that hosts type ${child.type} (system.host)`,
    );
  }

  /** Children that wait for a host, as `troupe tree` shows them (no host reports them yet). */
  private waitingRows(): TreeRow[] {
    const now = Date.now();
    const rows: TreeRow[] = [];
    for (const t of this.tracked.values()) {
      if (!t.child.waiting) continue;
      rows.push({
        path: t.child.path,
        type: t.child.type,
        node: this.sys.node,
        status: 'waiting',
        restarts: t.restarts,
        lastFailure: `waiting ${Math.round((now - t.child.waitingSince) / 1000)}s for a host of ${t.child.type}`,
        uptimeMs: 0,
        supervisor: false,
        supervisedBy: `${t.supervisor.path}@${this.sys.node}`,
      });
    }
    return rows;
  }

  lost(child: RemoteChild, reason: string, phase: 'start' | 'message'): void {
    const t = [...this.tracked.values()].find((x) => x.child === child);
    const sup = t?.supervisor ?? this.supervisorOf(child);
    if (sup) this.sys.exits.childExited(sup, child, reason, true, phase);
  }

  private readonly supervisors = new WeakMap<RemoteChild, Cell>();
  private supervisorOf(child: RemoteChild): Cell | undefined {
    return this.supervisors.get(child);
  }

  forget(child: RemoteChild): void {
    const t = this.tracked.get(child.path);
    if (t && t.child === child) {
      this.supervisors.set(child, t.supervisor);
      this.tracked.delete(child.path);
    }
  }

  /** Listen to node heartbeats, and check the hosts of our remote children against them. */
  private watchBeats(): void {
    if (this.hbSub !== null) return;
    this.hbSub = this.nc.subscribe(heartbeatSubject(this.system, '*'), {
      callback: this.guard('heartbeat', (m) => {
        const r = parseControlBody(Heartbeat, m.data);
        if (!r.success) {
          this.sys.stats.malformedInbound++;
          return;
        }
        // A heartbeat speaks only for the node its subject names.
        if (m.subject !== heartbeatSubject(this.system, r.data.node)) {
          this.sys.stats.misrouted++;
          return;
        }
        this.beats.set(r.data.node, { last: Date.now(), intervalMs: r.data.intervalMs });
      }),
    });
    this.checkTimer = setInterval(() => this.checkHosts(), 100);
    this.checkTimer.unref();
  }

  private checkHosts(): void {
    const now = Date.now();
    for (const t of [...this.tracked.values()]) {
      const c = t.child;
      if (c.node === '' || c.stopped || c.waiting) continue;
      const b = this.beats.get(c.node);
      const last = Math.max(b?.last ?? 0, t.since, c.hostFoundAt);
      const interval = b?.intervalMs ?? 1000;
      if (now - last > interval * LOST_AFTER_BEATS) {
        const reason = `host lost: node ${c.node} silent for ${now - last} ms`;
        this.sys.log.error({ actor: c.path, node: c.node }, 'remote child lost with its host');
        c.markGone();
        // The host cannot say it crashed: this node says it for it.
        this.sys.emit({ kind: 'crashed', path: c.path, reason, at: now });
        this.sys.exits.childExited(t.supervisor, c, reason, true, 'message');
      }
    }
  }

  close(): void {
    if (this.hbTimer) clearInterval(this.hbTimer);
    if (this.checkTimer) clearInterval(this.checkTimer);
    this.hbTimer = null;
    this.checkTimer = null;
    for (const s of this.subs) if (!this.nc.isClosed()) s.unsubscribe();
    if (this.hbSub && !this.nc.isClosed()) this.hbSub.unsubscribe();
  }
}
