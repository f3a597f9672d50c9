import type { CryptoBackend } from '../crypto/index.ts';
import { concatBytes, nodeBackend } from '../crypto/index.ts';
import { InviteFormatError } from './errors.ts';
import { checkMeshId, MESH_ID_LENGTH } from './handshake.ts';

/** What an invite token carries. The secret never crosses the wire: only a proof made with it does. */
export interface Invite {
  meshId: Uint8Array;
  /** The inviter's static key: the joiner pins it, so only the inviter can complete the handshake. */
  inviterStatic: Uint8Array;
  inviteId: Uint8Array;
  /** 256 bits. */
  secret: Uint8Array;
  /** Milliseconds since the epoch, by the inviter's clock (the only clock that decides). */
  expiresAt: number;
  /** Where to dial the inviter (host:port), a hint only: the pinned key is what authenticates. */
  endpoints: string[];
}

export const INVITE_PREFIX = 'mesh1.';
export const INVITE_VERSION = 1;
export const INVITE_ID_LENGTH = 16;
export const INVITE_SECRET_LENGTH = 32;
export const JOIN_PROOF_LENGTH = 32;
const CHECKSUM_LENGTH = 4;
const MAX_ENDPOINTS = 16;
const JOIN_LABEL = new TextEncoder().encode('troupe/mesh-join/v1');

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Encodes an invite as `mesh1.<base64url>`: copy-pasteable, with a 4-byte SHA-256 checksum. */
export function encodeInvite(invite: Invite, backend: CryptoBackend = nodeBackend): string {
  checkMeshId(invite.meshId);
  fixed(invite.inviterStatic, 32, 'inviter static key');
  fixed(invite.inviteId, INVITE_ID_LENGTH, 'invite id');
  fixed(invite.secret, INVITE_SECRET_LENGTH, 'invite secret');
  if (!Number.isSafeInteger(invite.expiresAt) || invite.expiresAt < 0) {
    throw new RangeError(
      `expiresAt must be a non-negative integer of milliseconds, got ${invite.expiresAt}`,
    );
  }
  if (invite.endpoints.length > MAX_ENDPOINTS) {
    throw new RangeError(`at most ${MAX_ENDPOINTS} endpoints fit in an invite`);
  }
  const endpointBytes = invite.endpoints.map((e) => {
    const b = utf8.encode(e);
    if (b.length === 0 || b.length > 255)
      throw new RangeError(`endpoint "${e}" must be 1-255 bytes`);
    return concatBytes(new Uint8Array([b.length]), b);
  });
  const expires = new Uint8Array(8);
  new DataView(expires.buffer).setBigUint64(0, BigInt(invite.expiresAt));
  const body = concatBytes(
    new Uint8Array([INVITE_VERSION]),
    invite.meshId,
    invite.inviterStatic,
    invite.inviteId,
    invite.secret,
    expires,
    new Uint8Array([endpointBytes.length]),
    ...endpointBytes,
  );
  const sum = backend.sha256(body).subarray(0, CHECKSUM_LENGTH);
  return INVITE_PREFIX + Buffer.from(concatBytes(body, sum)).toString('base64url');
}

/** Parses a token; whitespace from copy-paste is ignored. Throws InviteFormatError. */
export function decodeInvite(token: string, backend: CryptoBackend = nodeBackend): Invite {
  const t = token.replace(/\s+/g, '');
  if (!t.startsWith(INVITE_PREFIX)) {
    throw new InviteFormatError(
      `an invite token starts with "${INVITE_PREFIX}"; this one does not: copy the whole token`,
    );
  }
  const b64 = t.slice(INVITE_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(b64)) {
    throw new InviteFormatError('the invite token has characters outside base64url: copy it again');
  }
  const raw = new Uint8Array(Buffer.from(b64, 'base64url'));
  const fixedPart = 1 + MESH_ID_LENGTH + 32 + INVITE_ID_LENGTH + INVITE_SECRET_LENGTH + 8 + 1;
  if (raw.length < fixedPart + CHECKSUM_LENGTH) {
    throw new InviteFormatError(
      `the invite token is too short (${raw.length} bytes): copy the whole token`,
    );
  }
  const body = raw.subarray(0, raw.length - CHECKSUM_LENGTH);
  const sum = raw.subarray(raw.length - CHECKSUM_LENGTH);
  const want = backend.sha256(body).subarray(0, CHECKSUM_LENGTH);
  if (sum.some((b, i) => b !== want[i])) {
    throw new InviteFormatError(
      "the invite token's checksum does not match: it was mistyped or cut while copying; copy it again",
    );
  }
  if (body[0] !== INVITE_VERSION) {
    throw new InviteFormatError(
      `invite version ${body[0]} is not understood here (this node speaks ${INVITE_VERSION})`,
    );
  }
  let o = 1;
  const take = (n: number) => {
    if (o + n > body.length)
      throw new InviteFormatError('the invite token is truncated inside its endpoints');
    const part = body.slice(o, o + n);
    o += n;
    return part;
  };
  const meshId = take(MESH_ID_LENGTH);
  const inviterStatic = take(32);
  const inviteId = take(INVITE_ID_LENGTH);
  const secret = take(INVITE_SECRET_LENGTH);
  const expiresBig = new DataView(take(8).buffer).getBigUint64(0);
  if (expiresBig > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InviteFormatError('the invite expiry is out of range');
  }
  const count = take(1)[0]!;
  const endpoints: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = take(1)[0]!;
    try {
      endpoints.push(fromUtf8.decode(take(len)));
    } catch (cause) {
      if (cause instanceof InviteFormatError) throw cause;
      throw new InviteFormatError('an invite endpoint is not valid UTF-8', { cause });
    }
  }
  if (o !== body.length) throw new InviteFormatError('the invite token has trailing bytes');
  return { meshId, inviterStatic, inviteId, secret, expiresAt: Number(expiresBig), endpoints };
}

/**
 * The joiner's proof: HMAC-SHA256(secret, label ‖ invite id ‖ h). Bound to this handshake's hash,
 * so a relay (which necessarily runs a different handshake, hence a different h) cannot reuse it.
 */
export function joinProof(
  secret: Uint8Array,
  inviteId: Uint8Array,
  handshakeHash: Uint8Array,
  backend: CryptoBackend = nodeBackend,
): Uint8Array {
  return backend.hmacSha256(secret, JOIN_LABEL, inviteId, handshakeHash);
}

function fixed(b: Uint8Array, n: number, what: string): void {
  if (b.length !== n) throw new RangeError(`the ${what} is ${n} bytes, got ${b.length}`);
}
