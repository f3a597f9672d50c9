import { randomBytes } from 'node:crypto';
import { type ActorSystem, InvalidArgument } from '../index.ts';
import { alertEventSubject } from '../protocols/subjects/index.ts';
import { feedFleet } from './feed.ts';
import { Fleet } from './fleet.ts';
import { type DashboardOptions, DashboardOptionsSchema, isLoopback } from './options.ts';
import { serveBoard } from './server.ts';

export type {
  ActorView,
  AlertView,
  FleetSnapshot,
  LedgerView,
  PeerView,
  RatePoint,
} from './fleet.ts';
export { type DashboardOptions, DashboardOptionsSchema } from './options.ts';

/**
 * Where the alerts actor publishes each alert for the dashboard (and anyone else):
 * `troupe.<sys>.evt.<node>.alert`, MessagePack body `{ rule, severity, actor, message, at }`.
 */
export function alertSubject(system: string, node: string): string {
  return alertEventSubject(system, node);
}

export interface Dashboard {
  /** Open this in a browser (carries the token when there is one). */
  readonly url: string;
  readonly port: number;
  readonly token: string | undefined;
  close(): Promise<void>;
}

/**
 * The live dashboard of a running system, served from `system` (a node of it, or a client
 * node on its broker): the tree, health, rates, mailboxes, ledger heads, mesh peers, alerts.
 */
export async function startDashboard(
  system: ActorSystem,
  options: DashboardOptions = {},
): Promise<Dashboard> {
  const parsed = DashboardOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new InvalidArgument(`dashboard: ${i.path.join('.') || 'options'}: ${i.message}`);
  }
  const o = parsed.data;
  // Bound beyond this machine, nobody gets in without the token.
  const token = o.token ?? (isLoopback(o.host) ? undefined : randomBytes(24).toString('base64url'));
  const fleet = new Fleet(system.name, o.windowS, o.bridge);
  let board: Awaited<ReturnType<typeof serveBoard>>;
  try {
    board = await serveBoard({
      host: o.host,
      port: o.port,
      token,
      snapshot: () => fleet.snapshot(),
    });
  } catch (cause) {
    throw new InvalidArgument(
      `dashboard: cannot listen on ${o.host}:${o.port}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const feed = feedFleet(system, fleet, o, () => board.changed());
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shownHost}:${board.port}/${token === undefined ? '' : `?token=${token}`}`,
    port: board.port,
    token,
    async close() {
      await feed.close();
      await board.close();
    },
  };
}
