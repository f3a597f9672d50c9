import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { constantTimeEqual, toHex } from '../../protocols/crypto/index.ts';
import { decodeInvite, type Invite } from '../../protocols/mesh/index.ts';
import { InvalidArgument, type ReplyHandle } from '../../runtime/index.ts';
import { JoinFailedError } from './errors.ts';
import { adoptMesh, fingerprint, loadIdentity, meshDir, type SiteIdentity } from './identity.ts';
import { FileInviteBook } from './invites/index.ts';
import type { JoinResult, PeerConn } from './peer-conn.ts';
import { type Peer, Roster } from './roster.ts';

const INVITES_FILE = 'invites.json';

/** A site's membership on disk: its identity, its paired peers and its invites. */
export interface SiteRecords {
  identity: SiteIdentity;
  roster: Roster;
  invites: FileInviteBook;
}

/** What pairing needs from its bridge. */
export interface PairingHost {
  readonly site: string;
  readonly log: Logger;
  /** A site was paired: its traffic is carried (held while no link is up). */
  paired(site: string): void;
  /** A site was unpaired: its traffic is refused. */
  unpaired(site: string): void;
  /** The site moved to another mesh: listen with its new identity. */
  meshAdopted(): void;
  audit(kind: string, data: Record<string, unknown>): void;
  /** Audit an event a remote party can provoke (rate-limited). */
  auditSecurity(kind: string, data: Record<string, unknown>): void;
}

/** The hello verdict: admitted (with where we dial the peer), or refused with the reason. */
export type Admission = { ok: true; endpoints: string[] } | { ok: false; reason: string };

/**
 * Which sites this site is paired with, and how that changes: invites issued, tokens checked
 * before a join, a hello admitted (pairing it first when the link came through an invite),
 * a site forgotten, and the move to an inviter's mesh.
 */
export class Pairing {
  identity: SiteIdentity;
  readonly roster: Roster;
  invites: FileInviteBook;
  readonly #host: PairingHost;
  readonly #inviteTtlMs: number;

  /** Loads the site directory made by `troupe mesh init`. */
  static async load(dir: string | undefined): Promise<SiteRecords> {
    const d = meshDir(dir);
    const identity = await loadIdentity(d);
    const roster = await Roster.open(d, identity.meshId);
    const invites = await FileInviteBook.open(join(d, INVITES_FILE), {
      meshId: identity.meshId,
      inviterStatic: identity.keyPair.publicKey,
    });
    return { identity, roster, invites };
  }

  constructor(records: SiteRecords, host: PairingHost, inviteTtlMs: number) {
    this.identity = records.identity;
    this.roster = records.roster;
    this.invites = records.invites;
    this.#host = host;
    this.#inviteTtlMs = inviteTtlMs;
  }

  get publicKey(): Uint8Array {
    return this.identity.keyPair.publicKey;
  }

  /** peerHello: may this link be `site`'s? Pairs the site first when it came through an invite. */
  async admit(conn: PeerConn, site: string, endpoints: string[]): Promise<Admission> {
    const key = conn.remoteKey;
    const fp = fingerprint(key);
    const role = conn.joining ? 'joiner' : conn.link.joinedWith ? 'inviter' : null;
    const refuse = (reason: string): Admission => {
      this.#host.auditSecurity('security.peer_rejected', {
        site,
        fingerprint: fp,
        remote: conn.remote,
        reason,
      });
      conn.joining?.reply.fail(new JoinFailedError(`the inviter was refused: ${reason}`));
      conn.joining = null;
      return { ok: false, reason };
    };
    if (site === this.#host.site) return refuse(`the peer claims this site's own name ${site}`);
    if (role !== null) {
      const taken = this.roster.bySite(site);
      if (taken && !constantTimeEqual(taken.publicKey, key)) {
        return refuse(`site name ${site} is already paired with another key`);
      }
      const dialEndpoints =
        role === 'joiner'
          ? unique([conn.remote, ...endpoints, ...conn.joining!.invite.endpoints])
          : endpoints;
      try {
        await this.roster.add({
          site,
          publicKey: key,
          endpoints: dialEndpoints.slice(0, 16),
          dial: role === 'joiner',
          addedAt: Date.now(),
        });
      } catch (err) {
        return refuse((err as Error).message);
      }
      this.#host.paired(site);
      this.#host.audit('mesh.join', {
        site,
        role,
        fingerprint: fp,
        remote: conn.remote,
        ...(role === 'inviter' && conn.link.joinedWith?.label
          ? { label: conn.link.joinedWith.label }
          : {}),
        ...(role === 'inviter' ? { inviteId: toHex(conn.link.joinedWith!.inviteId) } : {}),
      });
      return { ok: true, endpoints: dialEndpoints };
    }
    const peer = this.roster.byKey(key);
    if (!peer) return refuse('the key is not paired (any more)');
    if (peer.site !== site) return refuse(`the key paired as ${peer.site} says it is ${site}`);
    const next = peer.dial && conn.dialed ? unique([conn.remote, ...endpoints]) : endpoints;
    if (next.length > 0) {
      // Where the peer listens is a hint: failing to record it must not refuse the link.
      await this.roster
        .setEndpoints(site, next.slice(0, 16))
        .catch((err: Error) =>
          this.#host.log.warn({ site, err: err.message }, 'endpoints not saved'),
        );
    }
    return { ok: true, endpoints: [...(this.roster.bySite(site)?.endpoints ?? [])] };
  }

  async issueInvite(
    req: { ttlMs?: number | undefined; label?: string | undefined; maxUses?: number | undefined },
    advertise: string[],
  ): Promise<{ token: string; inviteId: string; expiresAt: number; endpoints: string[] }> {
    let issued: Awaited<ReturnType<FileInviteBook['issue']>>;
    try {
      issued = await this.invites.issue({
        now: Date.now(),
        ttlMs: req.ttlMs ?? this.#inviteTtlMs,
        endpoints: advertise,
        ...(req.maxUses === undefined ? {} : { maxUses: req.maxUses }),
        ...(req.label === undefined ? {} : { label: req.label }),
      });
    } catch (err) {
      if (err instanceof RangeError) throw new InvalidArgument(err.message);
      throw err;
    }
    const inviteId = toHex(issued.record.inviteId);
    this.#host.audit('mesh.invite_issued', {
      inviteId,
      expiresAt: issued.record.expiresAt,
      maxUses: issued.record.maxUses,
      ...(req.label ? { label: req.label } : {}),
    });
    return {
      token: issued.token,
      inviteId,
      expiresAt: issued.record.expiresAt,
      endpoints: advertise,
    };
  }

  /**
   * join, before any dial: bad input answers at once (the reply fails, undefined returns). A site
   * with no peers moves to the invite's mesh here. Returns the invite to dial.
   */
  async checkJoin(token: string, reply: ReplyHandle<JoinResult>): Promise<Invite | undefined> {
    let invite: Invite;
    try {
      invite = decodeInvite(token);
    } catch (err) {
      reply.fail(new InvalidArgument((err as Error).message));
      return undefined;
    }
    if (constantTimeEqual(invite.inviterStatic, this.publicKey)) {
      reply.fail(
        new InvalidArgument('this invite was issued by this site: give it to another one'),
      );
      return undefined;
    }
    const paired = this.roster.byKey(invite.inviterStatic);
    if (paired) {
      reply.fail(new JoinFailedError(`already paired with the inviter, as site ${paired.site}`));
      return undefined;
    }
    if (invite.endpoints.length === 0) {
      reply.fail(new JoinFailedError('the invite names no endpoint to dial'));
      return undefined;
    }
    if (!constantTimeEqual(invite.meshId, this.identity.meshId)) {
      if (this.roster.size > 0) {
        reply.fail(
          new JoinFailedError(
            'the invite is for another mesh, and this site already has peers in its own: a site ' +
              'belongs to one mesh (ask a site of this mesh for an invite instead)',
          ),
        );
        return undefined;
      }
      await this.#adoptMesh(invite.meshId);
    }
    return invite;
  }

  /** A site with no peers moves to the inviter's mesh; its unredeemed invites are set aside. */
  async #adoptMesh(meshId: Uint8Array): Promise<void> {
    const previous = this.identity.meshId;
    this.identity = await adoptMesh(this.identity, meshId);
    await this.roster.adoptMesh(meshId);
    const dir = this.identity.dir;
    await rename(join(dir, INVITES_FILE), join(dir, `invites.${toHex(previous)}.json`)).catch(
      () => {},
    );
    this.invites = await FileInviteBook.open(join(dir, INVITES_FILE), {
      meshId,
      inviterStatic: this.publicKey,
    });
    this.#host.meshAdopted();
    this.#host.audit('mesh.adopted', { meshId: toHex(meshId), previous: toHex(previous) });
  }

  /** forget: the site leaves the roster and its traffic is refused from now on. */
  async unpair(site: string): Promise<Peer> {
    const peer = await this.roster.remove(site);
    this.#host.unpaired(site);
    return peer;
  }
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
