import type { Msg } from '@nats-io/transport-node';
import {
  decodeBatch,
  decodeBody,
  type Envelope,
  type EnvelopeError,
  Kind,
} from '../../protocols/envelope/index.ts';
import {
  parseInboxSubject,
  repliesSubjectOf,
  subjectPrefix,
} from '../../protocols/subjects/index.ts';
import { Rejected, type TroupeError, toWireError } from '../errors.ts';
import type { ReplyTarget } from '../pending-ask.ts';
import type { AskBatches } from './ask-batches.ts';
import type { BrokerFaults } from './broker-faults.ts';
import type { OutboundBatches } from './outbound-batches.ts';
import type { TransportHost } from './transport.ts';

/**
 * Inbound traffic: batches for local actors and sharded types, and, on the node's inbox, the
 * answers to its asks and the broker's no-responders statuses. Nothing from the wire reaches
 * an actor before its envelope is checked against the subject it arrived on.
 */
export class Inbound {
  private readonly actorPrefix: string;
  private readonly shardPrefix: string;

  constructor(
    private readonly host: TransportHost,
    private readonly faults: BrokerFaults,
    private readonly asks: AskBatches,
    private readonly out: OutboundBatches,
    private readonly inbox: string,
  ) {
    this.actorPrefix = subjectPrefix('actor', host.name);
    this.shardPrefix = subjectPrefix('shard', host.name);
  }

  // nats.js ends the connection's read loop when a callback throws: nothing may escape here.
  // A try around the whole callback costs nothing in V8 on the path that does not throw.
  readonly onActorMsg = (err: Error | null, msg: Msg): void => {
    try {
      this.receive(err, msg);
    } catch (e) {
      this.faults.callbackFailed('actor subscription', msg, e);
    }
  };

  readonly onInboxMsg = (err: Error | null, msg: Msg): void => {
    try {
      this.receiveInbox(err, msg);
    } catch (e) {
      this.faults.callbackFailed('inbox subscription', msg, e);
    }
  };

  /** Inbound traffic for local actors. */
  /** An envelope from the wire that no actor here may have: a dead letter, its body as it came. */
  private deadLetterEnvelope(env: Envelope, reason: string): void {
    this.host.deadLetters.deadLetterWire(env.to, env.from, env.type, env.body, reason);
  }

  private receive(err: Error | null, msg: Msg): void {
    if (err) {
      this.host.log.error({ err }, 'subscription error');
      return;
    }
    let envs: Envelope[];
    try {
      envs = decodeBatch(msg.data);
    } catch (e) {
      this.faults.malformed('malformed envelope batch dropped', msg.subject, e);
      this.host.deadLetters.deadLetterWire(
        msg.subject,
        null,
        '?',
        msg.data,
        'malformed envelope batch',
      );
      return;
    }
    const replySubject = msg.reply ? repliesSubjectOf(msg.reply) : null;
    for (const env of envs) {
      if (
        env.kind === Kind.reply ||
        env.kind === Kind.error ||
        !this.isSubjectOf(msg.subject, env.to)
      ) {
        // Routed by kind and by subject: a reply here is forged or lost, and a target other
        // than the subject's would reach an actor its sender could not address.
        this.host.stats.misrouted++;
        this.deadLetterEnvelope(env, 'misrouted envelope');
        continue;
      }
      const wantsReply = env.corr !== null && (env.kind === Kind.ask || env.kind === Kind.system);
      const reply =
        wantsReply && replySubject !== null
          ? new RemoteReply(this.out, replySubject, env.corr!, env.to, env.type)
          : null;
      let body: unknown;
      try {
        body = decodeBody(env.body);
      } catch (e) {
        const why = (e as EnvelopeError).message;
        const rej = new Rejected(env.to, env.type, [{ message: why }], why);
        this.host.stats.undecodable++;
        if (reply) reply.reject(rej);
        else this.deadLetterEnvelope(env, `undecodable: ${why}`);
        continue;
      }
      this.host.receive(env, body, reply);
    }
  }

  /**
   * Whether `to` is the target the subject names: `path` on `troupe.<sys>.a.<path tokens>`,
   * `@type` on `troupe.<sys>.t.<type>`. Compared in place: no allocation per envelope.
   */
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
    const what = parseInboxSubject(this.inbox, msg.subject);
    if (what === null) return;
    if (what.kind === 'replies') {
      let envs: Envelope[];
      try {
        envs = decodeBatch(msg.data);
      } catch (e) {
        this.faults.malformed('malformed reply batch dropped', msg.subject, e);
        return;
      }
      for (const env of envs) {
        if (env.kind === Kind.reply || env.kind === Kind.error) this.host.settle(env);
        else {
          this.host.stats.misrouted++;
          this.deadLetterEnvelope(env, 'misrouted envelope');
        }
      }
      return;
    }
    if (msg.headers?.code === 503) {
      const corrs = this.asks.take(what.seq);
      if (corrs !== null) this.host.noResponders(corrs);
    }
  }
}

/** Answers an ask that arrived over NATS: the reply goes back in the asker node's reply batch. */
class RemoteReply implements ReplyTarget {
  settled = false;
  constructor(
    private readonly out: OutboundBatches,
    private readonly subject: string,
    private readonly corr: number,
    private readonly to: string,
    private readonly type: string,
  ) {}

  resolve(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.out.reply(this.subject, this.corr, Kind.reply, this.to, this.type, value);
  }

  reject(error: TroupeError | Error): void {
    if (this.settled) return;
    this.settled = true;
    this.out.reply(this.subject, this.corr, Kind.error, this.to, this.type, toWireError(error));
  }
}
