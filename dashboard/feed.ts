import type { Subscription } from '@nats-io/transport-node';
import {
  type ActorRef,
  type ActorSystem,
  actorRef,
  type BridgeProtocol,
  type LedgerActor,
  type ProtocolOf,
  type TreeRow,
  TreeRowSchema,
  treeSubject,
} from '../index.ts';
import { decodeBody } from '../protocols/envelope/index.ts';
import { eventWildcard, subjectPrefix } from '../protocols/subjects/index.ts';
import type { Fleet } from './fleet.ts';
import type { ResolvedDashboardOptions } from './options.ts';

const EMPTY = new Uint8Array(0);
const PEERS_EVERY_MS = 5000;

export interface Feed {
  close(): Promise<void>;
}

/** Every node's rows, gathered on the control plane (the same question `troupe tree` asks). */
export async function gatherRows(
  system: ActorSystem,
  waitMs: number,
  includeSelf: boolean,
): Promise<TreeRow[]> {
  const nc = system.nats;
  if (nc === undefined) return includeSelf ? system.treeRows() : [];
  const rows: TreeRow[] = [];
  const replies = await nc.requestMany(treeSubject(system.name), EMPTY, {
    strategy: 'stall',
    maxWait: waitMs,
    stall: 200,
  });
  for await (const m of replies) {
    if (m.data.length === 0) continue;
    let body: unknown;
    try {
      body = decodeBody(m.data);
    } catch {
      continue;
    }
    const parsed = TreeRowSchema.array().safeParse(body);
    if (!parsed.success) continue;
    for (const r of parsed.data) if (includeSelf || r.node !== system.node) rows.push(r);
  }
  return rows;
}

/**
 * Feeds a Fleet from a running system: events the moment they are published (every node's
 * `troupe.<sys>.evt.>`; on an embedded system, its own listeners), rows every poll, mesh peers
 * from the bridge every few seconds. `changed` is called after each update.
 */
export function feedFleet(
  system: ActorSystem,
  fleet: Fleet,
  o: ResolvedDashboardOptions,
  changed: () => void,
): Feed {
  let closed = false;
  let sub: Subscription | null = null;
  let off: (() => void) | null = null;
  const nc = system.nats;
  if (nc !== undefined) {
    const prefix = subjectPrefix('event', system.name);
    sub = nc.subscribe(eventWildcard(system.name), {
      callback: (_err, m) => {
        // Nothing may escape a broker callback: a bad event is skipped.
        try {
          const [node, kind] = m.subject.slice(prefix.length).split('.');
          if (node === undefined || kind === undefined || kind === 'log') return;
          fleet.event(node, kind, decodeBody(m.data));
          changed();
        } catch {
          // not an event we can read
        }
      },
    });
  } else {
    off = system.on((e) => {
      fleet.event(system.node, e.kind, e);
      changed();
    });
  }
  let wake: (() => void) | null = null;
  const pause = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });
  const poll = (async () => {
    let peersAt = 0;
    while (!closed) {
      try {
        fleet.rows(await gatherRows(system, Math.min(1500, o.pollMs), o.includeSelf));
      } catch {
        // A broker hiccup: the next poll tries again.
      }
      if (!closed && Date.now() - peersAt >= PEERS_EVERY_MS && nc !== undefined) {
        peersAt = Date.now();
        fleet.setPeers(await bridgePeers(system, o.bridge));
        await ledgerHeads(system, fleet);
      }
      if (closed) break;
      changed();
      await pause(o.pollMs);
    }
  })();
  return {
    async close() {
      closed = true;
      (wake as (() => void) | null)?.();
      off?.();
      if (sub !== null && nc !== undefined && !nc.isClosed()) sub.unsubscribe();
      await poll;
    },
  };
}

/** Ask every ledger actor the fleet shows for its head: a page opened between checkpoints has one too. */
async function ledgerHeads(system: ActorSystem, fleet: Fleet): Promise<void> {
  const ledgers = fleet.snapshot().actors.filter((a) => a.type === 'ledger');
  await Promise.all(
    ledgers.map(async (a) => {
      const ref: ActorRef<ProtocolOf<typeof LedgerActor>> = actorRef(system.name, a.path);
      try {
        const st = await system.ask(ref, 'status', {}, { timeout: 2000 });
        fleet.ledgerStatus(a.node, a.path, st);
      } catch {
        // not answering now: the panel keeps what the last checkpoint event said
      }
    }),
  );
}

async function bridgePeers(
  system: ActorSystem,
  path: string,
): Promise<{ site: string; connected: boolean; held: number; endpoints: string[] }[] | null> {
  const ref: ActorRef<BridgeProtocol> = actorRef(system.name, path);
  try {
    const peers = await system.ask(ref, 'peers', {}, { timeout: 2000 });
    return peers.map((p) => ({
      site: p.site,
      connected: p.connected,
      held: p.held,
      endpoints: p.endpoints,
    }));
  } catch {
    return null; // no bridge on this site (or it did not answer): the panel says so
  }
}
