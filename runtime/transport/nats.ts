import { readFile } from 'node:fs/promises';
import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { encodeBody, Kind } from '../../protocols/envelope/index.ts';
import {
  DEFAULT_INBOX_PREFIX,
  eventSubject,
  inboxWildcard,
  nodeInbox,
} from '../../protocols/subjects/index.ts';
import { actorSubject, isShardRef, type Ref, routeSubject, shardSubject } from '../address.ts';
import { TransportError } from '../errors.ts';
import type { RuntimeEvent } from '../events.ts';
import { newTraceparent } from '../trace.ts';
import { ASK_BATCH_TTL_MS, AskBatches } from './ask-batches.ts';
import { BrokerFaults } from './broker-faults.ts';
import { ConnectionStatus } from './connection-status.ts';
import { Inbound } from './inbound.ts';
import type { NatsOptions } from './nats-options.ts';
import { DEFAULT_BATCH, OutboundBatches } from './outbound-batches.ts';
import type { Transport, TransportHost } from './transport.ts';

/** Connect with the options' credentials; never give up reconnecting. */
async function dial(o: NatsOptions, host: TransportHost): Promise<NatsConnection> {
  const servers = Array.isArray(o.servers) ? o.servers : o.servers.split(',').map((s) => s.trim());
  let authenticator: ReturnType<typeof credsAuthenticator> | undefined;
  if (o.credsFile) {
    let creds: Uint8Array;
    try {
      creds = await readFile(o.credsFile);
    } catch (cause) {
      throw new TransportError(`cannot read NATS credentials file ${o.credsFile}`, { cause });
    }
    authenticator = credsAuthenticator(creds);
  }
  try {
    return await connect({
      servers,
      name: `troupe:${host.name}:${host.node}`,
      user: o.user,
      pass: o.pass,
      token: o.token,
      authenticator,
      inboxPrefix: o.inboxPrefix,
      timeout: o.connectTimeoutMs ?? 5_000,
      // The default (10 attempts) closes the connection for good; never give up.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      pingInterval: 20_000,
    });
  } catch (cause) {
    throw new TransportError(
      `cannot connect to NATS at ${servers.join(', ')}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/**
 * NATS routing. Each actor has its own subject; sharded types add a queue group; replies come
 * back in batches to one inbox per node. The parts: outbound batching (outbound-batches.ts),
 * inbound checks (inbound.ts), connection status (connection-status.ts), asks in flight
 * (ask-batches.ts). Subjects come from protocols/subjects.
 */
export class NatsTransport implements Transport {
  readonly kind = 'nats';
  readonly remote = true;
  maxPayload = 1024 * 1024;
  private nc!: NatsConnection;
  private host!: TransportHost;
  private out!: OutboundBatches;
  private status!: ConnectionStatus;
  private readonly subs = new Map<string, Subscription>();
  private readonly shardSubs = new Map<string, { sub: Subscription; count: number }>();
  private inbound!: Inbound;
  private readonly eventSubjects = new Map<string, string>();
  private sweeper: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(private readonly opts: NatsOptions) {}

  async start(host: TransportHost): Promise<void> {
    this.host = host;
    const o = this.opts;
    this.nc = await dial(o, host);
    this.maxPayload = this.nc.info?.max_payload ?? this.maxPayload;
    const inbox = nodeInbox(o.inboxPrefix ?? DEFAULT_INBOX_PREFIX, host.node);
    const faults = new BrokerFaults(host);
    const asks = new AskBatches();
    this.status = new ConnectionStatus(this.nc, host, faults, {
      reconnected: () => this.out.releaseHeld(),
      denied: (err) => {
        this.host.log.error({ err, subject: err.subject, operation: err.operation }, err.message);
        // Fail the asks sent there instead of letting them time out.
        if (err.operation !== 'publish' || this.host.refuse === undefined) return;
        for (const corrs of asks.takeSubject(err.subject)) this.host.refuse(corrs, err);
      },
    });
    this.out = new OutboundBatches(this.nc, host, faults, asks, {
      maxPayload: this.maxPayload,
      batchLimit: Math.min(o.batchBytes ?? DEFAULT_BATCH, this.maxPayload),
      holdBytes: o.holdBytes,
      inbox,
      isUp: () => this.status.isUp(),
    });
    this.inbound = new Inbound(host, faults, asks, this.out, inbox);
    this.nc.subscribe(inboxWildcard(inbox), { callback: this.inbound.onInboxMsg });
    void this.status.watch();
    this.sweeper = setInterval(() => asks.sweep(), ASK_BATCH_TTL_MS);
    this.sweeper.unref();
    await this.nc.flush();
  }

  expose(path: string, shardType: string | null): void {
    const subject = actorSubject(this.host.name, path);
    this.subs.set(path, this.nc.subscribe(subject, { callback: this.inbound.onActorMsg }));
    if (shardType !== null) {
      const s = this.shardSubs.get(shardType);
      if (s) s.count++;
      else {
        const sub = this.nc.subscribe(shardSubject(this.host.name, shardType), {
          queue: shardType,
          callback: this.inbound.onActorMsg,
        });
        this.shardSubs.set(shardType, { sub, count: 1 });
      }
    }
  }

  unexpose(path: string, shardType: string | null): void {
    const sub = this.subs.get(path);
    if (sub) {
      this.subs.delete(path);
      if (!this.nc.isClosed()) sub.unsubscribe();
    }
    if (shardType !== null) {
      const s = this.shardSubs.get(shardType);
      if (s && --s.count === 0) {
        this.shardSubs.delete(shardType);
        if (!this.nc.isClosed()) s.sub.unsubscribe();
      }
    }
  }

  send(
    to: Ref,
    kind: number,
    type: string,
    body: unknown,
    from: string | null,
    corr: number | null,
    deadline: number,
    trace: string | null,
    hops: number,
  ): void {
    const subject = routeSubject(this.host.name, to);
    const target = isShardRef(to) ? `@${to.shard}` : to.path;
    // An ask that leaves the process always carries a trace (a root ask starts one here);
    // a tell carries the trace it was sent under, if any: starting one per event costs ~10%.
    const tp = trace ?? (kind === Kind.ask ? newTraceparent() : null);
    this.out.write(
      subject,
      kind,
      target,
      from,
      type,
      corr,
      deadline,
      tp,
      hops,
      body,
      corr !== null,
    );
    // A queue group hands each NATS message to one member: batching a burst for a sharded
    // type would send it all to one instance. One envelope per message keeps the spread.
    if (isShardRef(to)) this.out.flushSubject(subject);
  }

  publishEvent(e: RuntimeEvent): void {
    if (!this.status.isUp()) return;
    try {
      let subject = this.eventSubjects.get(e.kind);
      if (subject === undefined) {
        subject = eventSubject(this.host.name, this.host.node, e.kind);
        this.eventSubjects.set(e.kind, subject);
      }
      this.nc.publish(subject, encodeBody(e));
    } catch {
      // Events are best effort; the local listeners and logs already have them.
    }
  }

  get connection(): NatsConnection {
    return this.nc;
  }

  async flush(): Promise<void> {
    this.out.flushAll();
    if (!this.nc.isClosed()) await this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.out.closing = true;
    this.out.flushAll();
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.nc.isClosed()) return;
    try {
      await this.nc.drain();
    } catch (err) {
      this.host.log.warn({ err }, 'NATS drain failed; closing');
      await this.nc.close();
    }
  }
}

export function natsTransport(opts: NatsOptions): Transport {
  return new NatsTransport(opts);
}
