import type { PeerConn } from './peer-conn.ts';

/**
 * The bridge's table of links: every open one, and which serves each site. At most one link
 * serves a site; a newer accepted hello replaces the older link. Only the bridge actor's
 * handlers change it (socket callbacks post events instead).
 */
export class PeerTable {
  readonly #open = new Set<PeerConn>();
  readonly #bySite = new Map<string, PeerConn>();

  /** A link finished its handshake: it is open, serving no site until its hello is accepted. */
  opened(conn: PeerConn): void {
    this.#open.add(conn);
  }

  /** The link serving `site`, if one is up. */
  get(site: string): PeerConn | undefined {
    return this.#bySite.get(site);
  }

  has(site: string): boolean {
    return this.#bySite.has(site);
  }

  /** `conn` now serves `site`; returns the link it replaced, if any. */
  install(conn: PeerConn, site: string): PeerConn | undefined {
    const old = this.#bySite.get(site);
    conn.site = site;
    this.#bySite.set(site, conn);
    return old && old !== conn ? old : undefined;
  }

  /** The link closed: forget it. True when it was the link serving its site. */
  closed(conn: PeerConn): boolean {
    this.#open.delete(conn);
    if (conn.site !== null && this.#bySite.get(conn.site) === conn) {
      this.#bySite.delete(conn.site);
      return true;
    }
    return false;
  }

  /** The site is unpaired: its link (if any) no longer serves it. */
  take(site: string): PeerConn | undefined {
    const conn = this.#bySite.get(site);
    if (conn) this.#bySite.delete(site);
    return conn;
  }

  /** The links that serve a site. */
  serving(): IterableIterator<PeerConn> {
    return this.#bySite.values();
  }

  /** Every open link, serving or not. */
  all(): IterableIterator<PeerConn> {
    return this.#open.values();
  }
}
