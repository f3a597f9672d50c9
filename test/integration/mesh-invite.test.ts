import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileInviteBook } from '../../actors/bridge/invites/index.ts';
import {
  type AcceptOptions,
  acceptLink,
  dialLink,
  JoinRejectedError,
  type Link,
} from '../../actors/bridge/link/index.ts';
import { type KeyPair, nodeBackend, toHex, x25519KeyPair } from '../../protocols/crypto/index.ts';
import {
  decodeInvite,
  FrameDecoder,
  InviteBook,
  InviteRejectedError,
  MeshSession,
  ProtocolViolationError,
} from '../../protocols/mesh/index.ts';
import { HandshakeRejectedError, UnexpectedStaticKeyError } from '../../protocols/noise/index.ts';
import { MESH_ID } from '../support/mesh-pair.ts';
import { dialTcp, handDial, serve, within } from '../support/tcp.ts';

const inviter = x25519KeyPair(nodeBackend);
const member = x25519KeyPair(nodeBackend);

let dir: string;
let book: FileInviteBook;
let roster: Set<string>;
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'troupe-invites-'));
  book = await FileInviteBook.open(join(dir, 'invites.json'), {
    meshId: MESH_ID,
    inviterStatic: inviter.publicKey,
  });
  roster = new Set([toHex(member.publicKey)]);
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

async function inviterServer(extra: Partial<AcceptOptions> = {}) {
  const server = await serve((s) =>
    acceptLink(s, {
      meshId: MESH_ID,
      staticKey: inviter,
      isMember: (k) => roster.has(toHex(k)),
      invites: book,
      onJoin: (k) => {
        roster.add(toHex(k));
      },
      ...extra,
    }),
  );
  cleanups.push(server.close);
  return server;
}

function join_(
  port: number,
  token: string | ReturnType<typeof decodeInvite>,
  key: KeyPair = x25519KeyPair(nodeBackend),
) {
  return dialLink(dialTcp(port), { meshId: MESH_ID, staticKey: key, invite: token }).then(
    (l: Link) => {
      cleanups.push(() => l.close());
      return l;
    },
  );
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await within(p, 4000);
    return 'accepted';
  } catch (e) {
    if (e instanceof InviteRejectedError) return e.reason;
    return (e as Error).name;
  }
}

describe('file-backed invite book', () => {
  it('burns atomically: of two concurrent redemptions exactly one wins, and the file agrees', async () => {
    const { invite } = await book.issue({ now: Date.now() });
    const { joinProof } = await import('../../protocols/mesh/index.ts');
    const h = new Uint8Array(32).fill(4);
    const request = {
      inviteId: invite.inviteId,
      proof: joinProof(invite.secret, invite.inviteId, h),
      handshakeHash: h,
      now: Date.now(),
    };
    const results = await Promise.allSettled([book.redeem(request), book.redeem(request)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const saved = JSON.parse(await readFile(join(dir, 'invites.json'), 'utf8'));
    expect(saved.invites[0].uses).toBe(1);
  });
});

describe('invites over a live link', () => {
  it('a joiner redeems its invite: the link opens, the roster learns the key, the book burns it', async () => {
    const server = await inviterServer();
    const { token } = await book.issue({
      now: Date.now(),
      endpoints: [`127.0.0.1:${server.port}`],
    });
    const joiner = x25519KeyPair(nodeBackend);
    const link = await within(join_(server.port, token, joiner), 4000);
    const accepted = await within(server.next(), 4000);
    expect(accepted.joinedWith?.uses).toBe(1);
    expect(roster.has(toHex(joiner.publicKey))).toBe(true);
    const got = (async () => {
      for await (const f of accepted) return f;
    })();
    await link.send(new TextEncoder().encode('hello inviter'));
    expect(new TextDecoder().decode(await within(got, 2000))).toBe('hello inviter');
    const saved = JSON.parse(await readFile(join(dir, 'invites.json'), 'utf8'));
    expect(saved.invites[0].uses).toBe(1);
    const reopened = await FileInviteBook.open(join(dir, 'invites.json'), {
      meshId: MESH_ID,
      inviterStatic: inviter.publicKey,
    });
    expect(reopened.records()[0]!.uses).toBe(1);
  });

  it('a reused invite is rejected: the joiner gets JoinRejectedError, the inviter knows why', async () => {
    const server = await inviterServer();
    const { token } = await book.issue({ now: Date.now() });
    await within(join_(server.port, token), 4000);
    await within(server.next(), 4000);
    const second = join_(server.port, token);
    await expect(within(second, 4000)).rejects.toThrow(JoinRejectedError);
    expect(await reason(server.next())).toBe('used');
  });

  it('two concurrent joins with one invite: exactly one wins', async () => {
    const server = await inviterServer();
    const { token } = await book.issue({ now: Date.now() });
    const joins = await Promise.allSettled([
      join_(server.port, token),
      join_(server.port, token),
      join_(server.port, token),
    ]);
    expect(joins.filter((j) => j.status === 'fulfilled').length).toBe(1);
    for (const j of joins) {
      if (j.status === 'rejected') expect(j.reason).toBeInstanceOf(JoinRejectedError);
    }
    const sides = await Promise.all([
      reason(server.next()),
      reason(server.next()),
      reason(server.next()),
    ]);
    expect(sides.sort()).toEqual(['accepted', 'used', 'used']);
  });

  it('an expired invite is rejected by the inviter clock', async () => {
    const server = await inviterServer({ now: () => Date.now() + 61_000 });
    const { token } = await book.issue({ now: Date.now(), ttlMs: 60_000 });
    await expect(within(join_(server.port, token), 4000)).rejects.toThrow(JoinRejectedError);
    expect(await reason(server.next())).toBe('expired');
  });

  it('a forged secret is rejected, and does not burn the invite', async () => {
    const server = await inviterServer();
    const { token } = await book.issue({ now: Date.now() });
    const forged = { ...decodeInvite(token), secret: new Uint8Array(32).fill(0xee) };
    await expect(within(join_(server.port, forged), 4000)).rejects.toThrow(JoinRejectedError);
    expect(await reason(server.next())).toBe('bad-proof');
    await within(join_(server.port, token), 4000);
    expect(await reason(server.next())).toBe('accepted');
  });

  it('a relayed proof (made over another handshake hash) is rejected', async () => {
    const server = await inviterServer();
    const { token } = await book.issue({ now: Date.now() });
    const invite = decodeInvite(token);
    const { socket, result } = await handDial(server.port, { expectedRemote: inviter.publicKey });
    socket.on('error', () => {});
    cleanups.push(() => socket.destroy());
    // The relay forwards a proof the real joiner computed over its own link to the relay.
    const otherH = new Uint8Array(32).fill(0x77);
    const relay = new MeshSession({
      ...result,
      handshake: { ...result.handshake, handshakeHash: otherH },
    });
    const decoder = new FrameDecoder();
    const events = new Promise<string>((resolve) =>
      socket.on('data', (c: Buffer) => {
        for (const m of decoder.push(c))
          for (const e of relay.receive(m))
            resolve(e.type === 'closed' ? `closed:${e.code}` : e.type);
      }),
    );
    socket.write(relay.join(invite));
    expect(await reason(server.next())).toBe('bad-proof');
    expect(await within(events, 3000)).toBe('closed:2'); // CloseCode.inviteRejected, authenticated
  });

  it("another mesh's token cannot even complete the handshake", async () => {
    const server = await inviterServer();
    const otherMesh = new Uint8Array(16).fill(0x99);
    const other = new InviteBook({ meshId: otherMesh, inviterStatic: inviter.publicKey });
    const { token } = other.issue({ now: Date.now() });
    const dial = dialLink(dialTcp(server.port), {
      meshId: otherMesh,
      staticKey: x25519KeyPair(nodeBackend),
      invite: token,
    });
    await expect(within(dial, 4000)).rejects.toThrow(HandshakeRejectedError);
  });

  it('a token pins the inviter: a server with another key is refused before message 3', async () => {
    const impostorServer = await serve((s) =>
      acceptLink(s, {
        meshId: MESH_ID,
        staticKey: x25519KeyPair(nodeBackend),
        isMember: () => false,
        invites: book,
      }),
    );
    cleanups.push(impostorServer.close);
    const { token } = await book.issue({ now: Date.now() });
    await expect(within(join_(impostorServer.port, token), 4000)).rejects.toThrow(
      UnexpectedStaticKeyError,
    );
  });

  it('an unknown key that sends data instead of JOIN is cut off', async () => {
    const server = await inviterServer();
    const { socket, session } = await handDial(server.port, { expectedRemote: inviter.publicKey });
    socket.on('error', () => {});
    cleanups.push(() => socket.destroy());
    socket.write(session.sealFrame(new Uint8Array(10)));
    await expect(within(server.next(), 4000)).rejects.toThrow(ProtocolViolationError);
  });
});
