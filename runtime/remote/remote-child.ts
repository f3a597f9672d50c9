import type { NatsConnection } from '@nats-io/transport-node';
import { encodeBody } from '../../protocols/envelope/index.ts';
import { fromWireError, NoSuchActor, TransportError } from '../errors.ts';
import { backoffDelay } from '../supervision/backoff.ts';
import type { Child } from '../supervision/supervision-host.ts';
import { ControlReply, ctlSubject } from './control-protocol.ts';
import { parseControlBody } from './parse-control-body.ts';

/** How a proxy talks back to the supervising node. */
export interface RemoteChildOwner {
  readonly nc: NatsConnection;
  readonly system: string;
  /** Who this node's control requests say asked (audited by the host). */
  readonly requester?: string;
  /** The proxy learned it is gone (host lost, failed start): report it to its supervisor. */
  lost(child: RemoteChild, reason: string, phase: 'start' | 'message'): void;
  forget(child: RemoteChild): void;
  /** The child waits for a host of its type (logged once per wait). */
  waiting(child: RemoteChild): void;
}

/** How a child on `node: '*'` waits for a host: retry with backoff until the deadline. */
export interface HostWait {
  readonly deadlineMs: number;
}

/** Between tries for a host: from 250 ms up to 5 s, with jitter so waiting children spread. */
const HOST_RETRY = { initialMs: 250, maxMs: 5_000, multiplier: 2, jitter: 0.2, resetAfterMs: 0 };

const CONTROL_TIMEOUT_MS = 10_000;

/** Ask a node's control plane; errors come back as the typed errors they were. */
export async function control(
  nc: NatsConnection,
  subject: string,
  body: unknown,
  timeoutMs = CONTROL_TIMEOUT_MS,
): Promise<string> {
  let msg: Awaited<ReturnType<NatsConnection['request']>>;
  try {
    msg = await nc.request(subject, encodeBody(body), { timeout: timeoutMs });
  } catch (err) {
    const name = (err as Error).name ?? '';
    if (
      /NoResponders|RequestError/.test(name) ||
      /no responders/i.test(String((err as Error).message))
    ) {
      throw new NoSuchActor(subject);
    }
    throw new TransportError(`control request ${subject} failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const r = parseControlBody(ControlReply, msg.data);
  if (!r.success) throw new TransportError(`malformed control reply on ${subject}`);
  if (!r.data.ok) throw fromWireError(r.data);
  return r.data.node;
}

/**
 * A supervised child that runs in another process. It behaves as a Child to the supervision
 * engine: stop, restart in place and start are control requests to its host.
 */
export class RemoteChild implements Child {
  private state: 'starting' | 'waiting' | 'running' | 'suspended' | 'stopped' = 'starting';
  private started: Promise<void>;
  private retry: NodeJS.Timeout | null = null;
  /** Since when it waits for a host (0: not waiting). */
  waitingSince = 0;
  /** When a host took it after a wait: its heartbeats count from here. */
  hostFoundAt = 0;
  node = '';

  constructor(
    private readonly owner: RemoteChildOwner,
    readonly path: string,
    readonly type: string,
    private readonly spawnSubject: string,
    private readonly spawnBody: unknown,
    /** Set for `node: '*'`: no host yet is a wait, not a failed start. */
    private readonly hostWait: HostWait | null = null,
  ) {
    this.started = this.begin(this.spawn(true));
  }

  /**
   * Ask a host to start the child. With a host wait, "nobody hosts the type" moves the child
   * to `waiting` and resolves (the supervisor goes on); tries continue in the background.
   */
  private async spawn(first: boolean): Promise<void> {
    try {
      this.node = await control(this.owner.nc, this.spawnSubject, this.spawnBody);
    } catch (err) {
      if (!(err instanceof NoSuchActor) || this.hostWait === null || this.hostWait.deadlineMs === 0)
        throw err;
      if (first) {
        this.waitingSince = Date.now();
        this.state = 'waiting';
        this.owner.waiting(this);
        this.scheduleRetry(1);
        return;
      }
      throw err;
    }
  }

  private scheduleRetry(n: number): void {
    this.retry = setTimeout(
      () => {
        this.retry = null;
        if (this.state !== 'waiting') return;
        control(this.owner.nc, this.spawnSubject, this.spawnBody).then(
          (node) => {
            this.node = node;
            if (this.state === 'waiting') {
              this.state = 'running';
              this.waitingSince = 0;
              return;
            }
            // Stopped while the start was under way: the new host must not keep an orphan.
            void control(this.owner.nc, ctlSubject(this.owner.system, node, 'stop'), {
              path: this.path,
              reason: 'shutdown',
              timeoutMs: null,
            }).catch(() => {});
          },
          (err: unknown) => {
            if (this.state !== 'waiting') return;
            const waited = Date.now() - this.waitingSince;
            if (err instanceof NoSuchActor && waited < this.hostWait!.deadlineMs) {
              this.scheduleRetry(n + 1);
              return;
            }
            // A host was found and the start failed, or the wait ran out: now it is a failed
            // start, and it counts toward the supervisor's intensity.
            this.state = 'stopped';
            this.waitingSince = 0;
            this.owner.forget(this);
            const reason =
              err instanceof NoSuchActor
                ? `no node hosts type ${this.type} (waited ${waited} ms for one)`
                : (err as Error).message;
            this.owner.lost(this, `start failed: ${reason}`, 'start');
          },
        );
      },
      backoffDelay(HOST_RETRY, n),
    );
    this.retry.unref?.();
  }

  get waiting(): boolean {
    return this.state === 'waiting';
  }

  private begin(p: Promise<void>): Promise<void> {
    const q = p.then(
      () => {
        if (this.state === 'starting') this.state = 'running';
      },
      (err: unknown) => {
        if (this.state === 'stopped') throw err;
        this.state = 'stopped';
        this.owner.forget(this);
        this.owner.lost(this, `start failed: ${(err as Error).message}`, 'start');
        throw err;
      },
    );
    q.catch(() => {});
    return q;
  }

  get stopped(): boolean {
    return this.state === 'stopped';
  }

  get suspended(): boolean {
    return this.state === 'suspended';
  }

  /** The host reported a crash: it keeps the cell (and mail) until told what to do. */
  markSuspended(): void {
    if (this.state !== 'stopped') this.state = 'suspended';
  }

  /** The host is gone, or the child exited for good. */
  markGone(): void {
    this.state = 'stopped';
    this.owner.forget(this);
  }

  whenStarted(): Promise<void> {
    return this.started;
  }

  async restartInPlace(): Promise<void> {
    if (this.state !== 'suspended') return;
    this.state = 'starting';
    this.started = this.begin(
      control(this.owner.nc, ctlSubject(this.owner.system, this.node, 'restart'), {
        path: this.path,
        by: this.owner.requester,
      }).then(() => {}),
    );
    await this.started.catch(() => {});
  }

  async stop(reason: string, timeoutMs?: number): Promise<void> {
    if (this.state === 'stopped') return;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const wasWaiting = this.state === 'waiting';
    const node = wasWaiting ? '' : this.node;
    this.state = 'stopped';
    this.owner.forget(this);
    if (node === '') return;
    try {
      const t =
        timeoutMs === undefined || timeoutMs === Number.POSITIVE_INFINITY ? null : timeoutMs;
      await control(
        this.owner.nc,
        ctlSubject(this.owner.system, node, 'stop'),
        { path: this.path, reason, timeoutMs: t, by: this.owner.requester },
        (t ?? 30_000) + 5_000,
      );
    } catch {
      // A host that cannot be reached has nothing left to stop.
    }
  }
}
