import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { type KeyPair, nodeBackend, x25519KeyPair } from '../../protocols/crypto/index.ts';
import {
  FrameDecoder,
  MeshHandshake,
  type MeshHandshakeResult,
  MeshSession,
} from '../../protocols/mesh/index.ts';
import { MESH_ID } from './mesh-pair.ts';

/** A loopback TCP server; `accepted` yields each connection's handler result in order. */
export async function serve<T>(onSocket: (socket: Socket) => T): Promise<{
  port: number;
  results: T[];
  next: () => Promise<T>;
  close: () => Promise<void>;
}> {
  const results: T[] = [];
  const waiters: ((t: T) => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const r = onSocket(socket);
    const w = waiters.shift();
    if (w) w(r);
    else results.push(r);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    results,
    next: () => {
      const r = results.shift();
      return r !== undefined
        ? Promise.resolve(r)
        : new Promise<T>((resolve) => waiters.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function dialTcp(port: number): Socket {
  return connect({ host: '127.0.0.1', port, noDelay: true });
}

/** Resolves with what `p` settles to, or rejects after `ms`: tests never hang. */
export function within<T>(p: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everything a socket receives, and when it ended. */
export function record(socket: Socket): { bytes: () => Uint8Array; ended: Promise<void> } {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  const ended = new Promise<void>((r) => socket.on('close', () => r()));
  return { bytes: () => new Uint8Array(Buffer.concat(chunks)), ended };
}

/**
 * Runs the initiator's side of the mesh handshake by hand over a raw socket, so a test can then
 * misbehave at the byte level (trickle, end without close, forge records).
 */
export async function handDial(
  port: number,
  options: { staticKey?: KeyPair; expectedRemote: Uint8Array },
): Promise<{
  socket: Socket;
  session: MeshSession;
  result: MeshHandshakeResult;
  decoder: FrameDecoder;
}> {
  const socket = dialTcp(port);
  const hs = new MeshHandshake({
    role: 'initiator',
    meshId: MESH_ID,
    staticKey: options.staticKey ?? x25519KeyPair(nodeBackend),
    expectedResponder: options.expectedRemote,
  });
  const decoder = new FrameDecoder();
  socket.write(hs.start());
  const result = await new Promise<MeshHandshakeResult>((resolve, reject) => {
    socket.on('error', reject);
    const onData = (chunk: Buffer) => {
      try {
        for (const m of decoder.push(chunk)) {
          const step = hs.receive(m);
          if (step.reply) socket.write(step.reply);
          if (step.done) {
            socket.off('data', onData);
            resolve(step.done);
          }
        }
      } catch (e) {
        reject(e);
      }
    };
    socket.on('data', onData);
  });
  return { socket, session: new MeshSession(result), result, decoder };
}
