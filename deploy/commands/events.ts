import { decodeBody } from '../../protocols/envelope/index.ts';
import { subjectPrefix } from '../../protocols/subjects/index.ts';
import { InvalidArgument } from '../../runtime/index.ts';
import { startCliClient } from '../cli-client.ts';
import type { Overrides } from '../config.ts';
import { onStopSignal } from '../stop-signal.ts';
import { wholeFlag } from './fleet-table.ts';

/** What travels on `troupe.<sys>.evt.<node>.<kind>`. `log` lines only when asked for by kind. */
export const EVENT_KINDS = [
  'started',
  'stopped',
  'crashed',
  'hung',
  'restarted',
  'gaveUp',
  'deadLetter',
  'ledger',
  'alert',
  'log',
] as const;

export interface EventsOptions extends Overrides {
  follow?: boolean;
  /** Comma-separated kinds. */
  kind?: string;
  /** An actor path: its events and those of the actors below it. */
  actor?: string;
  /** Only this node's events. */
  on?: string;
  /** Include the runtime's own actors (sys/…, e.g. every CLI client's dead-letter actor). */
  all?: boolean;
  /** Stop after this many events. */
  count?: string;
  /** Without -f: how long to listen (ms, default 2000). */
  timeout?: string;
  json?: boolean;
}

/** The actor an event is about, whichever field carries it. */
function actorOf(e: Record<string, unknown>): string {
  for (const k of ['path', 'to', 'actor', 'ledger', 'subject']) {
    const v = e[k];
    if (typeof v === 'string') return v;
  }
  return '-';
}

export function formatEvent(node: string, kind: string, e: Record<string, unknown>): string {
  const at = typeof e.at === 'number' ? new Date(e.at).toISOString() : new Date().toISOString();
  const rest = Object.entries(e)
    .filter(([k]) => !['at', 'path', 'kind'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${at} ${node} ${kind} ${actorOf(e)}${rest ? ` ${rest}` : ''}`;
}

/**
 * `troupe events [-f]`: the event stream of a running system, `troupe.<sys>.evt.>`, filtered
 * by kind, actor and node. Events are not stored: without -f it listens for --timeout ms (or
 * until --count events) and exits.
 */
export async function events(o: EventsOptions, out: (line: string) => void): Promise<number> {
  const kinds = o.kind === undefined ? null : new Set(o.kind.split(',').map((k) => k.trim()));
  for (const k of kinds ?? []) {
    if (!(EVENT_KINDS as readonly string[]).includes(k))
      throw new InvalidArgument(
        `unknown event kind ${JSON.stringify(k)} (kinds: ${EVENT_KINDS.join(', ')})`,
      );
  }
  if (o.on !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(o.on))
    throw new InvalidArgument(`--node ${JSON.stringify(o.on)} is not a node name`);
  if (o.actor !== undefined && (o.actor === '' || o.actor.startsWith('/') || o.actor.endsWith('/')))
    throw new InvalidArgument(`--actor ${JSON.stringify(o.actor)} is not an actor path`);
  const count = wholeFlag(o.count, '--count', 1, Number.POSITIVE_INFINITY);
  const listenMs = o.follow ? Number.POSITIVE_INFINITY : wholeFlag(o.timeout, '--timeout', 1, 2000);
  const sys = await startCliClient({ ...o, node: undefined });
  const prefix = subjectPrefix('event', sys.name);
  const nc = sys.nats!;
  let seen = 0;
  try {
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const done = () => {
        if (timer !== null) clearTimeout(timer);
        offSignal();
        sub.unsubscribe();
        resolve();
      };
      const sub = nc.subscribe(`${prefix}${o.on ?? '*'}.>`, {
        callback: (_err, m) => {
          try {
            const [node = '', kind = ''] = m.subject.slice(prefix.length).split('.');
            if (kinds !== null ? !kinds.has(kind) : kind === 'log') return;
            const body = decodeBody(m.data);
            if (typeof body !== 'object' || body === null) return;
            const e = body as Record<string, unknown>;
            const a = actorOf(e);
            if (!o.all && a.startsWith('sys/')) return;
            if (o.actor !== undefined && a !== o.actor && !a.startsWith(`${o.actor}/`)) return;
            out(o.json ? JSON.stringify({ node, kind, ...e }) : formatEvent(node, kind, e));
            if (++seen >= count) done();
          } catch {
            // not an event we can read: skipped, never thrown into the client
          }
        },
      });
      const offSignal = onStopSignal(done);
      if (Number.isFinite(listenMs)) timer = setTimeout(done, listenMs);
    });
    return 0;
  } finally {
    await sys.shutdown({ timeoutMs: 2000 });
  }
}
