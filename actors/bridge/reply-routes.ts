import type { PendingRequest } from './batch.ts';
import { RouteTable } from './route-table.ts';

/** A peer asker's route: the site and the id it gave its inbox. */
export interface ReplyRoute {
  readonly site: string;
  readonly id: number;
}

/** Requests we published for a peer, kept until answered or until a no-responders status. */
export interface AskBatch {
  readonly site: string;
  readonly peerRoute: number;
  readonly requests: PendingRequest[];
  readonly at: number;
}

/** How long a published ask batch waits for a no-responders status before it is forgotten. */
export const ASK_BATCH_TTL_MS = 10_000;

/**
 * Reply routes across the mesh. An asker's reply subject never leaves its site: it becomes a
 * small route id, per peer, and replies come back by that id. Both sides' tables live here:
 * our askers' inboxes (asks we send out) and peers' askers (asks we publish for them).
 */
export class ReplyRoutes {
  /** Routes for local askers' inboxes: `<site> <inbox>` → id, id → inbox. */
  readonly #askers = new RouteTable<{ site: string; inbox: string }>(() => this.#nextRoute());
  /** Routes for peers' askers: `<site> <their id>` → our id, our id → (site, their id). */
  readonly #peers = new RouteTable<ReplyRoute>(() => this.#nextRoute());
  readonly #askBatches = new Map<number, AskBatch>();
  #routeSeq = 0;
  #batchSeq = 0;

  /** The route id a local asker's reply subject travels as to `site`. */
  askerRoute(site: string, reply: string): number {
    const inbox = reply.slice(0, Math.max(0, reply.lastIndexOf('.')));
    const key = `${site} ${inbox}`;
    return this.#askers.idOf(key) ?? this.#askers.add(key, { site, inbox });
  }

  /** The local inbox a route id stands for, and the site it was given to. */
  askerInbox(route: number): { site: string; inbox: string } | undefined {
    return this.#askers.get(route);
  }

  /** Our route id for a peer asker's route `theirs`. */
  peerRoute(site: string, theirs: number): number {
    const key = `${site} ${theirs}`;
    return this.#peers.idOf(key) ?? this.#peers.add(key, { site, id: theirs });
  }

  /** The peer asker behind one of our route ids. */
  peerRouteOf(ours: number): ReplyRoute | undefined {
    return this.#peers.get(ours);
  }

  /** Keep the requests of a batch we publish for a peer; returns the batch's sequence. */
  holdAsks(batch: AskBatch): number {
    const seq = ++this.#batchSeq;
    this.#askBatches.set(seq, batch);
    return seq;
  }

  /** The batch `seq`, forgotten as it is taken. */
  takeAsks(seq: number): AskBatch | undefined {
    const batch = this.#askBatches.get(seq);
    if (batch) this.#askBatches.delete(seq);
    return batch;
  }

  /** Forget batches older than ASK_BATCH_TTL_MS. */
  sweep(now: number): void {
    const cutoff = now - ASK_BATCH_TTL_MS;
    for (const [seq, b] of this.#askBatches) {
      if (b.at < cutoff) this.#askBatches.delete(seq);
      else break; // insertion order is time order
    }
  }

  #nextRoute(): number {
    this.#routeSeq = (this.#routeSeq + 1) % 0xffff_ffff;
    return this.#routeSeq;
  }
}
