import type { Duplex } from 'node:stream';
import { Link } from './link.ts';
import type { AcceptOptions } from './options.ts';

/**
 * Runs the mesh handshake as responder over `socket` (and redeems the invite of an unknown key
 * when `invites` is set). Resolves with the open link; rejects with the typed error that ended it.
 */
export function acceptLink(socket: Duplex, options: AcceptOptions): Promise<Link> {
  return new Link(socket, { role: 'responder', options }).ready;
}
