import type { CryptoBackend } from '../crypto/index.ts';
import { constantTimeEqual, nodeBackend, toHex } from '../crypto/index.ts';
import { InviteRejectedError } from './errors.ts';
import { checkMeshId } from './handshake.ts';
import {
  encodeInvite,
  INVITE_ID_LENGTH,
  INVITE_SECRET_LENGTH,
  type Invite,
  joinProof,
} from './invite.ts';

/** What the inviter keeps about one invite. */
export interface InviteRecord {
  inviteId: Uint8Array;
  secret: Uint8Array;
  /** Milliseconds since the epoch, inviter's clock. */
  expiresAt: number;
  /** 1 for a normal invite; more only for automation, chosen explicitly. */
  maxUses: number;
  uses: number;
  /** Free text for the operator ("laptop of Ada"); never sent. */
  label?: string;
}

export interface IssueOptions {
  /** The inviter's clock, ms since the epoch. */
  now: number;
  /** Default 24 h; at most 7 days. */
  ttlMs?: number;
  maxUses?: number;
  endpoints?: string[];
  label?: string;
}

/** One redemption attempt, as received over a link. */
export interface RedeemRequest {
  inviteId: Uint8Array;
  proof: Uint8Array;
  /** The handshake hash of the link the JOIN arrived on: the proof must be over this. */
  handshakeHash: Uint8Array;
  /** The inviter's clock, ms since the epoch. */
  now: number;
}

export const DEFAULT_INVITE_TTL_MS = 24 * 3600_000;
export const MAX_INVITE_TTL_MS = 7 * 24 * 3600_000;

/**
 * The inviter's invites, in memory. `redeem` checks and burns in one synchronous step, so two
 * concurrent redemptions of a single-use invite cannot both win: JavaScript runs one to
 * completion before the other starts. Persist `records()` after every change (see
 * actors/bridge/invites for a file-backed book).
 */
export class InviteBook {
  readonly meshId: Uint8Array;
  readonly inviterStatic: Uint8Array;
  readonly #backend: CryptoBackend;
  readonly #records = new Map<string, InviteRecord>();

  constructor(options: {
    meshId: Uint8Array;
    inviterStatic: Uint8Array;
    backend?: CryptoBackend;
    records?: InviteRecord[];
  }) {
    checkMeshId(options.meshId);
    this.meshId = options.meshId;
    this.inviterStatic = options.inviterStatic;
    this.#backend = options.backend ?? nodeBackend;
    for (const r of options.records ?? []) this.#records.set(toHex(r.inviteId), { ...r });
  }

  /** Creates an invite and returns its token (give it to the joiner out of band) and record. */
  issue(options: IssueOptions): { token: string; invite: Invite; record: InviteRecord } {
    const ttl = options.ttlMs ?? DEFAULT_INVITE_TTL_MS;
    if (!(ttl > 0 && ttl <= MAX_INVITE_TTL_MS)) {
      throw new RangeError(`an invite lives between 1 ms and 7 days, asked for ${ttl} ms`);
    }
    const maxUses = options.maxUses ?? 1;
    if (!Number.isInteger(maxUses) || maxUses < 1) {
      throw new RangeError(`maxUses is a positive integer, got ${maxUses}`);
    }
    const record: InviteRecord = {
      inviteId: this.#backend.randomBytes(INVITE_ID_LENGTH),
      secret: this.#backend.randomBytes(INVITE_SECRET_LENGTH),
      expiresAt: options.now + ttl,
      maxUses,
      uses: 0,
      ...(options.label === undefined ? {} : { label: options.label }),
    };
    this.#records.set(toHex(record.inviteId), record);
    const invite: Invite = {
      meshId: this.meshId,
      inviterStatic: this.inviterStatic,
      inviteId: record.inviteId,
      secret: record.secret,
      expiresAt: record.expiresAt,
      endpoints: options.endpoints ?? [],
    };
    return { token: encodeInvite(invite, this.#backend), invite, record: { ...record } };
  }

  /**
   * Checks a redemption and, if it is good, burns one use before returning: atomic. Throws
   * InviteRejectedError (reason for the local log only). A wrong proof does not burn the invite:
   * only the pinned inviter ever sees the invite id, so guessing is not a threat worth a DoS.
   */
  redeem(request: RedeemRequest): InviteRecord {
    const key = toHex(request.inviteId);
    const record = this.#records.get(key);
    if (!record) throw rejected('unknown', 'no such invite (never issued, revoked or pruned)');
    if (record.uses >= record.maxUses) throw rejected('used', 'the invite was already used');
    if (request.now >= record.expiresAt) {
      throw rejected(
        'expired',
        `the invite expired at ${new Date(record.expiresAt).toISOString()}`,
      );
    }
    const want = joinProof(record.secret, record.inviteId, request.handshakeHash, this.#backend);
    if (!constantTimeEqual(want, request.proof)) {
      throw rejected(
        'bad-proof',
        'the proof does not match: a wrong secret, or a proof made over another handshake (relay)',
      );
    }
    record.uses++;
    return { ...record };
  }

  revoke(inviteId: Uint8Array): boolean {
    return this.#records.delete(toHex(inviteId));
  }

  /** Drops spent and expired invites; returns how many. */
  prune(now: number): number {
    let n = 0;
    for (const [k, r] of this.#records) {
      if (r.uses >= r.maxUses || now >= r.expiresAt) {
        this.#records.delete(k);
        n++;
      }
    }
    return n;
  }

  /** A snapshot for persistence. */
  records(): InviteRecord[] {
    return [...this.#records.values()].map((r) => ({ ...r }));
  }
}

function rejected(reason: InviteRejectedError['reason'], detail: string): InviteRejectedError {
  return new InviteRejectedError(`invite rejected: ${detail}`, reason);
}
