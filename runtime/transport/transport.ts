import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Envelope } from '../../protocols/envelope/index.ts';
import type { Ref } from '../address.ts';
import type { DeadLetterOffice } from '../dead-letter-office.ts';
import type { RuntimeEvent } from '../events.ts';
import type { NodeStats } from '../node-stats.ts';
import type { ReplyTarget } from '../pending-ask.ts';

/** What the system hands a transport: where inbound traffic goes. */
export interface TransportHost {
  readonly name: string;
  readonly node: string;
  readonly log: Logger;
  /** An inbound tell, ask or system message for a local actor or sharded type. */
  receive(env: Envelope, body: unknown, reply: ReplyTarget | null): void;
  /** An inbound reply or error for an ask this process sent. */
  settle(env: Envelope): void;
  /** The broker said nobody serves the subject these asks went to. */
  noResponders(corrs: readonly number[]): void;
  /** Counters of losses and refusals, read through `system.stats()`. */
  readonly stats: NodeStats;
  /** Inbound bytes that cannot be delivered (malformed, misrouted, undecodable): a dead letter. */
  readonly deadLetters: Pick<DeadLetterOffice, 'deadLetterWire'>;
  /** Surface a broker status (slow consumer, disconnect) as a runtime event. */
  emit(e: RuntimeEvent): void;
  /** The broker refused to carry these asks (e.g. a permission violation): fail them with `err`. */
  refuse?(corrs: readonly number[], err: Error): void;
}

/** How messages leave the process. `memory` keeps everything local; `nats` routes by subject. */
export interface Transport {
  readonly kind: 'memory' | 'nats';
  /** Whether actors outside this process are reachable at all. */
  readonly remote: boolean;
  /** Largest encoded envelope accepted, from the server's max_payload. */
  readonly maxPayload: number;
  /** The broker connection, for built-in actors that need the broker itself (bridge, ledger). */
  readonly connection?: NatsConnection;
  start(host: TransportHost): Promise<void>;
  /** A local actor can now be addressed from other processes (and, if sharded, by type). */
  expose(path: string, shardType: string | null): void;
  unexpose(path: string, shardType: string | null): void;
  /**
   * Send a tell, ask or system message to a target outside this process. Throws
   * PayloadTooLarge before anything is published.
   */
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
  ): void;
  /** Publish a lifecycle event on `troupe.<sys>.evt.<node>.<kind>`. */
  publishEvent(e: RuntimeEvent): void;
  /**
   * Send what is queued and wait until the broker has it, including subscriptions of newly
   * spawned actors: after this resolves, other nodes can reach them.
   */
  flush(): Promise<void>;
  /** Flush what is queued, then disconnect. */
  close(): Promise<void>;
}

/** The embedded default: no broker, every actor lives in this process. */
export function memoryTransport(): Transport {
  return {
    kind: 'memory',
    remote: false,
    maxPayload: Number.POSITIVE_INFINITY,
    async start() {},
    expose() {},
    unexpose() {},
    send() {
      throw new Error('memory transport has no remote actors');
    },
    publishEvent() {},
    async flush() {},
    async close() {},
  };
}
