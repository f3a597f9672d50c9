import type { Msg } from '@nats-io/transport-node';
import { LogBudget } from '../node-stats.ts';
import type { TransportHost } from './transport.ts';

/**
 * What goes wrong on the broker side of a node: exceptions caught in a callback and malformed
 * input. Each is counted; logs are kept within a budget so a flood cannot drown the node.
 */
export class BrokerFaults {
  private readonly log = new LogBudget(10);

  constructor(private readonly host: TransportHost) {}

  /** An exception from a broker callback: counted, logged within a budget, never rethrown. */
  callbackFailed(where: string, msg: Msg | undefined, err: unknown): void {
    this.host.stats.callbackErrors++;
    if (
      this.log.take((n) => this.host.log.warn({ suppressed: n }, 'more callback errors not logged'))
    )
      this.host.log.error(
        { where, subject: msg?.subject, err },
        'broker callback failed; message dropped',
      );
  }

  /** Bad input from the broker: counted, logged within a budget. */
  malformed(what: string, subject: string, err: unknown): void {
    this.host.stats.malformedInbound++;
    if (
      this.log.take((n) => this.host.log.warn({ suppressed: n }, 'more malformed input not logged'))
    )
      this.host.log.warn({ subject, err: err instanceof Error ? err.message : String(err) }, what);
  }
}
