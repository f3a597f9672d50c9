import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { constantTimeEqual } from '../../../protocols/crypto/index.ts';
import { decodeInvite, type Invite, pinPredicate } from '../../../protocols/mesh/index.ts';
import { Link } from './link.ts';
import type { DialOptions } from './options.ts';

/**
 * Runs the mesh handshake as initiator over `socket` and resolves with the open link (after the
 * join, when `invite` is set). Rejects with the typed error that ended it; the socket is then
 * destroyed.
 */
export function dialLink(socket: Duplex, options: DialOptions): Promise<Link> {
  let invite: Invite | undefined;
  try {
    invite =
      typeof options.invite === 'string'
        ? decodeInvite(options.invite, options.backend)
        : options.invite;
  } catch (error) {
    socket.destroy();
    return Promise.reject(error);
  }
  let pin: (k: Uint8Array) => boolean;
  if (invite) {
    const inviter = invite.inviterStatic;
    if (!constantTimeEqual(invite.meshId, options.meshId)) {
      socket.destroy();
      return Promise.reject(new RangeError('the invite is for another mesh than options.meshId'));
    }
    // An invite pins the inviter's key; an explicit expectation must agree with it.
    const also = options.expectedRemote ? pinPredicate(options.expectedRemote) : () => true;
    pin = (k) => constantTimeEqual(k, inviter) && also(k);
  } else if (options.expectedRemote) {
    pin = pinPredicate(options.expectedRemote);
  } else {
    socket.destroy();
    return Promise.reject(
      new TypeError('dialLink needs expectedRemote (the pinned key of the peer) or an invite'),
    );
  }
  const link = new Link(socket, {
    role: 'initiator',
    options,
    pin,
    ...(invite ? { invite } : {}),
  });
  return link.ready;
}

/** Connects over TCP and dials. */
export function connectLink(
  address: { host: string; port: number },
  options: DialOptions,
): Promise<Link> {
  const socket = connect({ host: address.host, port: address.port, noDelay: true });
  return dialLink(socket, options);
}
