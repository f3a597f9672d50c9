import { readFile } from 'node:fs/promises';
import {
  connect,
  credsAuthenticator,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import {
  decodeBatch,
  decodeBody,
  type Envelope,
  type EnvelopeError,
  encodeBody,
  Kind,
  MsgpackWriter,
  writeEnvelopeWithBody,
} from '../../protocols/envelope/index.ts';
import { actorSubject, isShardRef, type Ref, routeSubject, shardSubject } from '../address.ts';
import {
  InvalidArgument,
  PayloadTooLarge,
  permissionDenied,
  Rejected,
  TransportError,
  type TroupeError,
  toWireError,
} from '../errors.ts';
import type { RuntimeEvent } from '../events.ts';
import { LogBudget } from '../node-stats.ts';
import type { ReplyTarget } from '../pending-ask.ts';
import { newTraceparent } from '../trace.ts';
import type { NatsOptions } from './nats-options.ts';
import type { Transport, TransportHost } from './transport.ts';

interface Batch {
  w: MsgpackWriter;
  count: number;
  /** Correlation ids of asks in this batch: a no-responders status fails them all. */
  corrs: number[] | null;
}

interface Held {
  subject: string;
  data: Uint8Array;
  reply: string | undefined;
}

const DEFAULT_BATCH = 64 * 1024;
const DEFAULT_HOLD = 8 * 1024 * 1024;
const ASK_BATCH_TTL_MS = 10_000;

/**
 * NATS routing. Envelopes for the same subject sent in the same tick travel together in one
 * NATS message (a batch): the broker and the client pay per NATS message, not per envelope.
 * Each actor has its own subject; sharded types add a queue group; replies come back in
 * batches to one inbox per node.
 */
export class NatsTransport implements Transport {
  readonly kind = 'nats';
  readonly remote = true;
  maxPayload = 1024 * 1024;
  private nc!: NatsConnection;
  private host!: TransportHost;
  private readonly subs = new Map<string, Subscription>();
  private readonly shardSubs = new Map<string, { sub: Subscription; count: number }>();
  private batches = new Map<string, Batch>();
  private readonly sizeHint = new Map<string, number>();
  private flushScheduled = false;
  private inbox = '';
  private replySubjectSuffix = '.r';
  private batchSeq = 0;
  private readonly askBatches = new Map<number, { corrs: number[]; at: number; subject: string }>();
  private idCounter = 0;
  private batchLimit = DEFAULT_BATCH;
  private connected = false;
  private held: Held[] = [];
  private heldBytes = 0;
  private droppedWhileDown = 0;
  private sweeper: NodeJS.Timeout | null = null;
  private closing = false;
  private actorPrefix = '';
  private shardPrefix = '';
  private readonly faultLog = new LogBudget(10);
  // nats.js ends the connection's read loop when a callback throws: nothing may escape here.
  // A try around the whole callback costs nothing in V8 on the path that does not throw.
  private readonly onMsg = (err: Error | null, msg: Msg): void => {
    try {
      this.receive(err, msg);
    } catch (e) {
      this.callbackFailed('actor subscription', msg, e);
    }
  };

  constructor(private readonly opts: NatsOptions) {}

  async start(host: TransportHost): Promise<void> {
    this.host = host;
    const o = this.opts;
    const servers = Array.isArray(o.servers)
      ? o.servers
      : o.servers.split(',').map((s) => s.trim());
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
      this.nc = await connect({
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
    this.connected = true;
    this.maxPayload = this.nc.info?.max_payload ?? this.maxPayload;
    this.batchLimit = Math.min(o.batchBytes ?? DEFAULT_BATCH, this.maxPayload);
    this.inbox = `${o.inboxPrefix ?? '_INBOX'}.${host.node}`;
    this.actorPrefix = `troupe.${host.name}.a.`;
    this.shardPrefix = `troupe.${host.name}.t.`;
    this.nc.subscribe(`${this.inbox}.>`, {
      callback: (err, msg) => {
        try {
          this.receiveInbox(err, msg);
        } catch (e) {
          this.callbackFailed('inbox subscription', msg, e);
        }
      },
    });
    void this.watchStatus();
    this.sweeper = setInterval(() => this.sweepAskBatches(), ASK_BATCH_TTL_MS);
    this.sweeper.unref();
    await this.nc.flush();
  }

  /** An exception from a broker callback: counted, logged within a budget, never rethrown. */
  callbackFailed(where: string, msg: Msg | undefined, err: unknown): void {
    this.host.stats.callbackErrors++;
    if (
      this.faultLog.take((n) =>
        this.host.log.warn({ suppressed: n }, 'more callback errors not logged'),
      )
    )
      this.host.log.error(
        { where, subject: msg?.subject, err },
        'broker callback failed; message dropped',
      );
  }

  /** Bad input from the broker: counted, logged within a budget. */
  private malformed(what: string, subject: string, err: unknown): void {
    this.host.stats.malformedInbound++;
    if (
      this.faultLog.take((n) =>
        this.host.log.warn({ suppressed: n }, 'more malformed input not logged'),
      )
    )
      this.host.log.warn({ subject, err: err instanceof Error ? err.message : String(err) }, what);
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      try {
        this.onStatus(s.type, 'server' in s ? String(s.server) : '');
      } catch (err) {
        this.callbackFailed('status', undefined, err);
      }
      if (s.type === 'disconnect') {
        this.connected = false;
        this.host.log.warn(
          { server: 'server' in s ? s.server : undefined },
          'nats disconnected; holding outgoing traffic',
        );
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.host.log.info({ server: 'server' in s ? s.server : undefined }, 'nats reconnected');
        this.releaseHeld();
      } else if (s.type === 'error' && permissionDenied((s as { error?: unknown }).error)) {
        this.onDenied(permissionDenied((s as { error?: unknown }).error)!);
      } else if (s.type === 'error' || s.type === 'slowConsumer' || s.type === 'staleConnection') {
        this.host.log.warn({ status: s.type }, 'nats status');
      }
    }
  }

  /** Count and surface what the broker reports: traffic may have been lost around these. */
  private onStatus(type: string, detail: string): void {
    const st = this.host.stats;
    if (type === 'slowConsumer') st.slowConsumer++;
    else if (type === 'error') st.natsErrors++;
    else if (type === 'disconnect' || type === 'staleConnection') st.disconnects++;
    else return;
    this.host.emit({ kind: 'transport', status: type, detail, at: Date.now() });
  }

  /** The broker refused a subject: say so, and fail the asks sent there instead of timing out. */
  private onDenied(err: ReturnType<typeof permissionDenied> & object): void {
    this.host.log.error({ err, subject: err.subject, operation: err.operation }, err.message);
    if (err.operation !== 'publish' || this.host.refuse === undefined) return;
    for (const [seq, v] of this.askBatches) {
      if (v.subject !== err.subject) continue;
      this.askBatches.delete(seq);
      this.host.refuse(v.corrs, err);
    }
  }

  /** The client discards its outbound buffer on each dial: only publish while connected. */
  private isUp(): boolean {
    const internal = (this.nc as unknown as { protocol?: { connected?: boolean } }).protocol;
    const up = internal?.connected;
    return this.connected && (up === undefined || up);
  }

  expose(path: string, shardType: string | null): void {
    const subject = actorSubject(this.host.name, path);
    this.subs.set(path, this.nc.subscribe(subject, { callback: this.onMsg }));
    if (shardType !== null) {
      const s = this.shardSubs.get(shardType);
      if (s) s.count++;
      else {
        const sub = this.nc.subscribe(shardSubject(this.host.name, shardType), {
          queue: shardType,
          callback: this.onMsg,
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
    this.write(subject, kind, target, from, type, corr, deadline, tp, hops, body, corr !== null);
    // A queue group hands each NATS message to one member: batching a burst for a sharded
    // type would send it all to one instance. One envelope per message keeps the spread.
    if (isShardRef(to)) this.flushSubject(subject);
  }

  /** Queue one envelope on a subject's batch. Throws before queuing anything that cannot be sent. */
  private write(
    subject: string,
    kind: number,
    to: string,
    from: string | null,
    type: string,
    corr: number | null,
    deadline: number,
    trace: string | null,
    hops: number,
    body: unknown,
    expectsReply: boolean,
  ): void {
    if (this.closing && this.nc.isClosed()) throw new TransportError('NATS connection is closed');
    let b = this.batches.get(subject);
    if (b === undefined) {
      // Start at the size this subject's last batch reached: growing by copies is costly.
      b = { w: new MsgpackWriter(this.sizeHint.get(subject) ?? 256), count: 0, corrs: null };
      this.batches.set(subject, b);
      this.scheduleFlush();
    }
    const start = b.w.pos;
    try {
      writeEnvelopeWithBody(
        b.w,
        {
          id: ++this.idCounter,
          kind: kind as Envelope['kind'],
          to,
          from,
          type,
          corr,
          deadline,
          trace,
          hops,
        },
        body,
      );
    } catch (err) {
      b.w.pos = start;
      if (b.count === 0) this.batches.delete(subject);
      throw new InvalidArgument(`cannot send ${type} to ${to}: ${(err as Error).message}`);
    }
    const size = b.w.pos - start;
    if (size > this.maxPayload) {
      b.w.pos = start;
      if (b.count === 0) this.batches.delete(subject);
      throw new PayloadTooLarge(size, this.maxPayload);
    }
    if (b.w.pos > this.batchLimit && b.count > 0) {
      // This envelope would overflow the batch: send the batch without it, start a new one.
      const bytes = b.w.buf.slice(start, b.w.pos);
      b.w.pos = start;
      this.publishBatch(subject, b);
      b = { w: new MsgpackWriter(Math.max(256, bytes.length)), count: 0, corrs: null };
      this.batches.set(subject, b);
      b.w.ensure(bytes.length);
      b.w.buf.set(bytes, 0);
      b.w.pos = bytes.length;
    }
    b.count++;
    if (expectsReply && corr !== null) (b.corrs ??= []).push(corr);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    void Promise.resolve().then(() => this.flush0());
  }

  private flush0(): void {
    this.flushScheduled = false;
    const batches = this.batches;
    if (batches.size === 0) return;
    this.batches = new Map();
    for (const [subject, b] of batches) this.publishBatch(subject, b);
  }

  private flushSubject(subject: string): void {
    const b = this.batches.get(subject);
    if (b === undefined) return;
    this.batches.delete(subject);
    this.publishBatch(subject, b);
  }

  private publishBatch(subject: string, b: Batch): void {
    if (b.w.pos > 256) {
      if (this.sizeHint.size > 10_000) this.sizeHint.clear();
      this.sizeHint.set(subject, Math.min(b.w.pos + 512, this.batchLimit + 1024));
    } else if (this.sizeHint.has(subject)) this.sizeHint.delete(subject);
    let reply: string | undefined;
    if (b.corrs !== null) {
      const seq = ++this.batchSeq;
      reply = `${this.inbox}.b${seq}`;
      this.askBatches.set(seq, { corrs: b.corrs, at: Date.now(), subject });
    }
    this.publishRaw(subject, b.w.buf.subarray(0, b.w.pos), reply);
  }

  private publishRaw(subject: string, data: Uint8Array, reply: string | undefined): void {
    if (!this.isUp()) {
      this.hold({ subject, data, reply });
      return;
    }
    try {
      this.nc.publish(subject, data, reply ? { reply } : undefined);
    } catch (err) {
      if (this.nc.isClosed()) {
        this.host.log.error({ subject, err }, 'NATS connection closed: message not sent');
        return;
      }
      this.hold({ subject, data, reply });
    }
  }

  /** While the broker is unreachable, keep outgoing traffic (bounded) and send it on reconnect. */
  private hold(h: Held): void {
    this.held.push(h);
    this.heldBytes += h.data.length;
    const limit = this.opts.holdBytes ?? DEFAULT_HOLD;
    while (this.heldBytes > limit && this.held.length > 0) {
      const old = this.held.shift()!;
      this.heldBytes -= old.data.length;
      this.droppedWhileDown++;
      this.host.stats.heldDropped++;
    }
    if (this.droppedWhileDown > 0 && this.droppedWhileDown % 100 === 1) {
      this.host.log.error(
        { dropped: this.droppedWhileDown, holdBytes: limit },
        'NATS unreachable and hold buffer full: oldest outgoing batches dropped',
      );
    }
  }

  private releaseHeld(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const h of held) this.publishRaw(h.subject, h.data, h.reply);
  }

  private sweepAskBatches(): void {
    const cutoff = Date.now() - ASK_BATCH_TTL_MS;
    for (const [seq, v] of this.askBatches) {
      if (v.at < cutoff) this.askBatches.delete(seq);
      else break; // insertion order is time order
    }
  }

  /** Inbound traffic for local actors. */
  private receive(err: Error | null, msg: Msg): void {
    if (err) {
      this.host.log.error({ err }, 'subscription error');
      return;
    }
    let envs: Envelope[];
    try {
      envs = decodeBatch(msg.data);
    } catch (e) {
      this.malformed('malformed envelope batch dropped', msg.subject, e);
      this.host.deadLetterWire(msg.subject, null, '?', msg.data, 'malformed envelope batch');
      return;
    }
    const replySubject = msg.reply
      ? msg.reply.slice(0, msg.reply.lastIndexOf('.')) + this.replySubjectSuffix
      : null;
    for (const env of envs) {
      if (
        env.kind === Kind.reply ||
        env.kind === Kind.error ||
        !this.isSubjectOf(msg.subject, env.to)
      ) {
        // Routed by kind and by subject: a reply here is forged or lost, and a target other
        // than the subject's would reach an actor its sender could not address.
        this.host.stats.misrouted++;
        this.host.deadLetterWire(env.to, env.from, env.type, env.body, 'misrouted envelope');
        continue;
      }
      const wantsReply = env.corr !== null && (env.kind === Kind.ask || env.kind === Kind.system);
      const reply =
        wantsReply && replySubject !== null
          ? new RemoteReply(this, replySubject, env.corr!, env.to, env.type)
          : null;
      let body: unknown;
      try {
        body = decodeBody(env.body);
      } catch (e) {
        const why = (e as EnvelopeError).message;
        const rej = new Rejected(env.to, env.type, [{ message: why }], why);
        this.host.stats.undecodable++;
        if (reply) reply.reject(rej);
        else this.host.deadLetterWire(env.to, env.from, env.type, env.body, `undecodable: ${why}`);
        continue;
      }
      this.host.receive(env, body, reply);
    }
  }

  /** Whether `to` is the target the subject names (no allocation: compared in place). */
  private isSubjectOf(subject: string, to: string): boolean {
    let prefix = this.actorPrefix;
    let i = 0;
    if (to.charCodeAt(0) === 64 /* @ */) {
      prefix = this.shardPrefix;
      i = 1;
    }
    if (subject.length !== prefix.length + to.length - i || !subject.startsWith(prefix))
      return false;
    for (let j = prefix.length; i < to.length; i++, j++) {
      const c = to.charCodeAt(i);
      const d = subject.charCodeAt(j);
      if (c !== d && !(c === 47 /* / */ && d === 46) /* . */) return false;
      if (c === 46) return false; // a `.` in a path would be an extra subject token
    }
    return true;
  }

  /** Replies and broker statuses for asks this node sent. */
  private receiveInbox(err: Error | null, msg: Msg): void {
    if (err) return;
    const token = msg.subject.slice(this.inbox.length + 1);
    if (token === 'r') {
      let envs: Envelope[];
      try {
        envs = decodeBatch(msg.data);
      } catch (e) {
        this.malformed('malformed reply batch dropped', msg.subject, e);
        return;
      }
      for (const env of envs) {
        if (env.kind === Kind.reply || env.kind === Kind.error) this.host.settle(env);
        else {
          this.host.stats.misrouted++;
          this.host.deadLetterWire(env.to, env.from, env.type, env.body, 'misrouted envelope');
        }
      }
      return;
    }
    if (token.startsWith('b') && msg.headers?.code === 503) {
      const seq = Number(token.slice(1));
      const entry = this.askBatches.get(seq);
      if (entry) {
        this.askBatches.delete(seq);
        this.host.noResponders(entry.corrs);
      }
    }
  }

  /** Queue a reply or error envelope back to an asker's node. */
  sendReply(
    subject: string,
    corr: number,
    kind: number,
    to: string,
    type: string,
    body: unknown,
  ): void {
    try {
      this.write(subject, kind, to, null, type, corr, 0, null, 0, body, false);
    } catch (err) {
      // The reply itself cannot travel (too large, unencodable): tell the asker why instead.
      const w = toWireError(err);
      try {
        this.write(subject, Kind.error, to, null, type, corr, 0, null, 0, w, false);
      } catch {
        // Even the error is too large (a type name near max_payload is echoed back): send it
        // cut short. The asker matches replies by correlation id, not by these fields.
        const short = { code: w.code, message: w.message.slice(0, 512) };
        try {
          this.write(
            subject,
            Kind.error,
            to.slice(0, 256),
            null,
            type.slice(0, 128),
            corr,
            0,
            null,
            0,
            short,
            false,
          );
        } catch (e) {
          this.callbackFailed('reply', undefined, e);
        }
      }
    }
  }

  publishEvent(e: RuntimeEvent): void {
    if (!this.isUp()) return;
    try {
      this.nc.publish(`troupe.${this.host.name}.evt.${this.host.node}.${e.kind}`, encodeBody(e));
    } catch {
      // Events are best effort; the local listeners and logs already have them.
    }
  }

  get connection(): NatsConnection {
    return this.nc;
  }

  async flush(): Promise<void> {
    this.flush0();
    if (!this.nc.isClosed()) await this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.flush0();
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

/** Answers an ask that arrived over NATS: the reply goes back in the asker node's reply batch. */
class RemoteReply implements ReplyTarget {
  settled = false;
  constructor(
    private readonly t: NatsTransport,
    private readonly subject: string,
    private readonly corr: number,
    private readonly to: string,
    private readonly type: string,
  ) {}

  resolve(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.t.sendReply(this.subject, this.corr, Kind.reply, this.to, this.type, value);
  }

  reject(error: TroupeError | Error): void {
    if (this.settled) return;
    this.settled = true;
    this.t.sendReply(this.subject, this.corr, Kind.error, this.to, this.type, toWireError(error));
  }
}

export function natsTransport(opts: NatsOptions): Transport {
  return new NatsTransport(opts);
}
