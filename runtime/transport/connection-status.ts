import type { NatsConnection } from '@nats-io/transport-node';
import { type PermissionDenied, permissionDenied } from '../errors.ts';
import type { BrokerFaults } from './broker-faults.ts';
import type { TransportHost } from './transport.ts';

/** What the transport does when the connection's state changes. */
export interface StatusHooks {
  /** Connected again: send what was held while the broker was unreachable. */
  reconnected(): void;
  /** The broker refused a subject (a permission violation). */
  denied(err: PermissionDenied): void;
}

/** The part of nats.js's connection state its typed API does not expose. */
interface SocketState {
  readonly connected?: unknown;
}

/**
 * nats.js's own view of the socket. It turns false the moment the socket drops, one tick
 * before the `disconnect` status reaches a listener; a publish in that tick lands in the
 * outbound buffer nats.js discards when it dials again. Not part of its typed API, so read
 * through a guard: without it, the status events alone decide.
 */
function socketState(nc: NatsConnection): SocketState | null {
  if (!('protocol' in nc)) return null;
  const p = nc.protocol;
  return typeof p === 'object' && p !== null && 'connected' in p ? p : null;
}

/**
 * Whether the broker can take a publish now, from the connection's status events: disconnects
 * and reconnects, permission violations, slow consumers and errors (counted and surfaced as
 * `transport` runtime events).
 */
export class ConnectionStatus {
  private connected = true;
  private readonly socket: SocketState | null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly host: TransportHost,
    private readonly faults: BrokerFaults,
    private readonly hooks: StatusHooks,
  ) {
    this.socket = socketState(nc);
  }

  /** The client discards its outbound buffer on each dial: only publish while connected. */
  isUp(): boolean {
    return this.connected && (this.socket === null || this.socket.connected !== false);
  }

  /** Follow the connection's status until it closes. */
  async watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      const server = 'server' in s ? s.server : undefined;
      try {
        this.count(s.type, server === undefined ? '' : String(server));
      } catch (err) {
        this.faults.callbackFailed('status', undefined, err);
      }
      if (s.type === 'disconnect') {
        this.connected = false;
        this.host.log.warn({ server }, 'nats disconnected; holding outgoing traffic');
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.host.log.info({ server }, 'nats reconnected');
        this.hooks.reconnected();
      } else if (s.type === 'error' && permissionDenied(s.error)) {
        this.hooks.denied(permissionDenied(s.error)!);
      } else if (s.type === 'error' || s.type === 'slowConsumer' || s.type === 'staleConnection') {
        this.host.log.warn({ status: s.type }, 'nats status');
      }
    }
  }

  /** Count and surface what the broker reports: traffic may have been lost around these. */
  private count(type: string, detail: string): void {
    const st = this.host.stats;
    if (type === 'slowConsumer') st.slowConsumer++;
    else if (type === 'error') st.natsErrors++;
    else if (type === 'disconnect' || type === 'staleConnection') st.disconnects++;
    else return;
    this.host.emit({ kind: 'transport', status: type, detail, at: Date.now() });
  }
}
