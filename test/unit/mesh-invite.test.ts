import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeBackend, toHex, x25519KeyPair } from '../../protocols/crypto/index.ts';
import {
  decodeInvite,
  encodeInvite,
  INVITE_PREFIX,
  type Invite,
  InviteBook,
  InviteFormatError,
  InviteRejectedError,
  type IssueOptions,
  joinProof,
  type RedeemRequest,
} from '../../protocols/mesh/index.ts';
import { handshakePair, MESH_ID } from '../support/mesh-pair.ts';

const inviter = x25519KeyPair(nodeBackend);
const NOW = 1_800_000_000_000;

function book() {
  return new InviteBook({ meshId: MESH_ID, inviterStatic: inviter.publicKey });
}

/** What redeeming `request` comes to: 'accepted', or the reason the book refused it. */
function outcome(b: InviteBook, request: RedeemRequest): string {
  try {
    b.redeem(request);
  } catch (e) {
    if (e instanceof InviteRejectedError) return e.reason;
    throw e;
  }
  return 'accepted';
}

/** A book with one invite issued at NOW, and a redeem request for it with a proof over `h`. */
function bookWithInvite(options: Partial<IssueOptions> = {}) {
  const b = book();
  const { invite } = b.issue({ now: NOW, ...options });
  const request = (h: Uint8Array, over: Partial<RedeemRequest> = {}): RedeemRequest => ({
    inviteId: invite.inviteId,
    proof: joinProof(invite.secret, invite.inviteId, h),
    handshakeHash: h,
    now: NOW,
    ...over,
  });
  return { b, invite, request };
}

describe('invite tokens', () => {
  const arbInvite: fc.Arbitrary<Invite> = fc.record({
    meshId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    inviterStatic: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    inviteId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    secret: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    expiresAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    endpoints: fc.array(fc.string({ minLength: 1, maxLength: 60 }), { maxLength: 4 }),
  });

  it('round-trip, and survive whitespace from copy-paste', () => {
    fc.assert(
      fc.property(arbInvite, (inv) => {
        const token = encodeInvite(inv);
        expect(token.startsWith(INVITE_PREFIX)).toBe(true);
        expect(token).toMatch(/^mesh1\.[A-Za-z0-9_-]+$/);
        const back = decodeInvite(` ${token.slice(0, 40)}\n  ${token.slice(40)} \n`);
        expect(toHex(back.secret)).toBe(toHex(inv.secret));
        expect(back.expiresAt).toBe(inv.expiresAt);
        expect(back.endpoints).toEqual(inv.endpoints);
      }),
    );
  });

  it('is short enough to paste: about 150 characters without endpoints', () => {
    const { token } = book().issue({ now: NOW });
    expect(token.length).toBeLessThan(160);
  });

  it('any single changed character is caught (checksum, base64url or prefix)', () => {
    const { token } = book().issue({ now: NOW, endpoints: ['10.0.0.1:7422'] });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let caught = 0;
    for (let i = 0; i < token.length; i++) {
      const c = alphabet[(alphabet.indexOf(token[i]!) + 17) % alphabet.length]!;
      const forged = token.slice(0, i) + c + token.slice(i + 1);
      try {
        decodeInvite(forged);
      } catch (e) {
        expect(e).toBeInstanceOf(InviteFormatError);
        caught++;
      }
    }
    // Only a change in the last character's unused low bits can slip through base64url.
    expect(caught).toBeGreaterThanOrEqual(token.length - 1);
  });

  it('refuses tokens of another scheme, truncated tokens and junk', () => {
    const { token } = book().issue({ now: NOW });
    for (const bad of [
      '',
      'mesh2.' + token.slice(6),
      token.slice(0, 50),
      'mesh1.***',
      `${token}AA`,
    ]) {
      expect(() => decodeInvite(bad)).toThrow(InviteFormatError);
    }
  });
});

describe('invite book', () => {
  it('redeems a good proof once, and only once', () => {
    const { b, request } = bookWithInvite();
    const h = handshakePair().a.handshake.handshakeHash;
    expect(outcome(b, request(h, { now: NOW + 1 }))).toBe('accepted');
    expect(outcome(b, request(h, { now: NOW + 2 }))).toBe('used');
  });

  it('refuses an expired invite (inviter clock)', () => {
    const { b, request } = bookWithInvite({ ttlMs: 1000 });
    expect(outcome(b, request(new Uint8Array(32), { now: NOW + 1000 }))).toBe('expired');
  });

  it('refuses a forged secret and an unknown invite', () => {
    const { b, invite, request } = bookWithInvite();
    const h = new Uint8Array(32).fill(3);
    const forged = joinProof(new Uint8Array(32).fill(9), invite.inviteId, h);
    expect(outcome(b, request(h, { proof: forged }))).toBe('bad-proof');
    const other = new Uint8Array(16).fill(1);
    expect(outcome(b, request(h, { inviteId: other, proof: forged }))).toBe('unknown');
    // A failed proof does not burn the invite.
    expect(outcome(b, request(h))).toBe('accepted');
  });

  it('refuses a relayed proof: made over another handshake hash', () => {
    const { b, request } = bookWithInvite();
    const joinerLink = handshakePair().a.handshake.handshakeHash; // joiner ↔ relay
    const relayLink = handshakePair().a.handshake.handshakeHash; // relay ↔ inviter
    expect(outcome(b, request(joinerLink, { handshakeHash: relayLink }))).toBe('bad-proof');
  });

  it('honours an explicit maxUses, then prunes spent and expired invites', () => {
    const { b, request } = bookWithInvite({ maxUses: 2 });
    b.issue({ now: NOW, ttlMs: 10 });
    const redeem = () => outcome(b, request(new Uint8Array(32)));
    expect([redeem(), redeem(), redeem()]).toEqual(['accepted', 'accepted', 'used']);
    expect(b.prune(NOW + 100)).toBe(2);
    expect(b.records()).toEqual([]);
  });

  it('refuses lifetimes over 7 days', () => {
    expect(() => book().issue({ now: NOW, ttlMs: 8 * 24 * 3600_000 })).toThrow(RangeError);
  });
});
