import {
  type AcceptOptions,
  type DialOptions,
  dialLink,
  type Link,
} from '../../actors/bridge/link/index.ts';
import { constantTimeEqual, nodeBackend, x25519KeyPair } from '../../protocols/crypto/index.ts';
import { MESH_ID } from './mesh-pair.ts';
import { dialTcp } from './tcp.ts';

/** The two ends of the link tests: A dials, B listens and admits A only. */
export const A = x25519KeyPair(nodeBackend);
export const B = x25519KeyPair(nodeBackend);

/** B's accept options on the test mesh, with `extra` on top. */
export const acceptOpts = (extra: Partial<AcceptOptions> = {}): AcceptOptions => ({
  meshId: MESH_ID,
  staticKey: B,
  isMember: (k) => constantTimeEqual(k, A.publicKey),
  ...extra,
});

/** A dials B over TCP at `port` on the test mesh, B's key pinned, with `extra` on top. */
export const dialB = (port: number, extra: Partial<DialOptions> = {}): Promise<Link> =>
  dialLink(dialTcp(port), { meshId: MESH_ID, staticKey: A, expectedRemote: B.publicKey, ...extra });
