import { networkInterfaces } from 'node:os';
import { z } from 'zod';
import { InvalidArgument } from '../../runtime/index.ts';
import { BACKOFF_DEFAULTS } from './backoff.ts';
import { Endpoint } from './roster.ts';

/** Where the bridge actor lives on its site: `troupe.<site>.a.mesh-bridge`. The CLI asks it there. */
export const BRIDGE_PATH = 'mesh-bridge';
export const DEFAULT_LISTEN = '0.0.0.0:7422';

const Token = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a subject token: A-Z a-z 0-9 _ -');

export const BridgeOptionsSchema = z
  .object({
    /** The site directory (identity, roster, invites). Default: TROUPE_MESH_DIR or ./.troupe/mesh. */
    dir: z.string().min(1).optional(),
    /** Top-level actor name of the bridge. */
    path: Token.default(BRIDGE_PATH),
    /** TCP address to listen on, `host:port`; port 0 picks a free one. */
    listen: Endpoint.default(DEFAULT_LISTEN),
    /** Addresses peers should dial, put in invites and hellos. Default: the listen address. */
    advertise: z.array(Endpoint).max(16).optional(),
    /** Inbox prefix of the site's NATS permissions; the bridge uses `<prefix>.<node>-mesh`. */
    inboxPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated subject tokens')
      .default('_INBOX'),
    /** Handshakes in progress at once on the listener; more are refused. */
    maxHalfOpen: z.number().int().min(1).max(100_000).default(64),
    /** Handshakes in progress at once from one source address (paired peers keep reserved room). */
    maxHalfOpenPerSource: z.number().int().min(1).max(100_000).default(8),
    /** New handshakes per second, sustained, and the burst allowed above it. */
    handshakesPerSecond: z.number().positive().max(100_000).default(50),
    handshakeBurst: z.number().int().min(1).max(100_000).default(100),
    /** The handshake (join included) and the hello after it must finish within this. */
    handshakeTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Ping each link this often; a link silent for three intervals is closed. 0: off. */
    pingIntervalMs: z.number().int().min(0).max(600_000).default(15_000),
    /** Redial backoff: first delay and ceiling (exponential, with jitter). */
    reconnect: z
      .object({
        initialMs: z.number().int().min(1).max(600_000),
        maxMs: z.number().int().min(1).max(3_600_000),
      })
      .strict()
      .default(BACKOFF_DEFAULTS),
    /** Bytes held per peer while its link is down (oldest dropped beyond). */
    holdBytes: z
      .number()
      .int()
      .min(0)
      .max(1024 * 1024 * 1024)
      .default(8 * 1024 * 1024),
    /** Invite lifetime when `invite` names none. */
    inviteTtlMs: z
      .number()
      .int()
      .positive()
      .max(7 * 24 * 3600_000)
      .default(24 * 3600_000),
  })
  .strict();

export type BridgeOptions = z.input<typeof BridgeOptionsSchema>;
export type ResolvedBridgeOptions = z.output<typeof BridgeOptionsSchema>;

export function parseBridgeOptions(options: unknown): ResolvedBridgeOptions {
  const parsed = BridgeOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new InvalidArgument(
      `invalid bridge options: ${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
    );
  }
  for (const e of [parsed.data.listen, ...(parsed.data.advertise ?? [])]) parseEndpoint(e);
  return parsed.data;
}

/** `host:port` or `[v6]:port` → parts; a port outside 0-65535 is an InvalidArgument. */
export function parseEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(endpoint);
  const port = m ? Number(m[3]) : -1;
  if (!m || port > 65535) {
    throw new InvalidArgument(`${JSON.stringify(endpoint)} is not host:port`);
  }
  return { host: m[1] ?? m[2]!, port };
}

export function formatEndpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** What to advertise when listening on a wildcard address: the first external IPv4, else loopback. */
export function defaultAdvertise(host: string, port: number): string {
  if (host !== '0.0.0.0' && host !== '::') return formatEndpoint(host, port);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal) return formatEndpoint(a.address, port);
    }
  }
  return formatEndpoint('127.0.0.1', port);
}
