import type { NatsConnection } from '@nats-io/transport-node';
import { decodeBody, encodeBody } from '../../protocols/envelope/index.ts';
import { fromWireError, NoSuchActor, TransportError } from '../errors.ts';
import type { Child } from '../supervision/supervision-host.ts';
import { ControlReply, ctlSubject } from './control-protocol.ts';

/** How a proxy talks back to the supervising node. */
export interface RemoteChildOwner {
  readonly nc: NatsConnection;
  readonly system: string;
  /** Who this node's control requests say asked (audited by the host). */
  readonly requester?: string;
  /** The proxy learned it is gone (host lost, failed start): report it to its supervisor. */
  lost(child: RemoteChild, reason: string, phase: 'start' | 'message'): void;
  forget(child: RemoteChild): void;
}

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
  let v: unknown;
  try {
    v = decodeBody(msg.data);
  } catch {
    v = undefined;
  }
  const r = ControlReply.safeParse(v);
  if (!r.success) throw new TransportError(`malformed control reply on ${subject}`);
  if (!r.data.ok) throw fromWireError(r.data);
  return r.data.node;
}

/**
 * A supervised child that runs in another process. It behaves as a Child to the supervision
 * engine: stop, restart in place and start are control requests to its host.
 */
export class RemoteChild implements Child {
  private state: 'starting' | 'running' | 'suspended' | 'stopped' = 'starting';
  private started: Promise<void>;
  node = '';

  constructor(
    private readonly owner: RemoteChildOwner,
    readonly path: string,
    readonly type: string,
    spawnSubject: string,
    spawnBody: unknown,
  ) {
    this.started = this.begin(
      control(owner.nc, spawnSubject, spawnBody).then((node) => {
        this.node = node;
      }),
    );
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
    const node = this.node;
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
