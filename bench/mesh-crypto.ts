import { createCipheriv } from 'node:crypto';
import { type AddressInfo, connect, createServer } from 'node:net';
import { acceptLink, dialLink, type Link } from '../actors/bridge/link/index.ts';
import {
  type CryptoBackend,
  nobleBackend,
  nodeBackend,
  x25519KeyPair,
} from '../protocols/crypto/index.ts';
import { FrameDecoder, MeshHandshake } from '../protocols/mesh/index.ts';
import { type Bench, type BenchResult, higherIsBetter, median } from './types.ts';

const MESH_ID = new Uint8Array(16).fill(0x42);

/** One full Noise_XXhfs mesh handshake, both sides in this process, framing included. */
function handshakeOnce(
  backend: CryptoBackend,
  i: ReturnType<typeof x25519KeyPair>,
  r: typeof i,
): void {
  const init = new MeshHandshake({
    role: 'initiator',
    meshId: MESH_ID,
    staticKey: i,
    backend,
    expectedResponder: r.publicKey,
  });
  const resp = new MeshHandshake({
    role: 'responder',
    meshId: MESH_ID,
    staticKey: r,
    backend,
    admitInitiator: () => 'member',
  });
  const d = new FrameDecoder();
  const s2 = resp.receive(d.push(init.start())[0]!);
  const s3 = init.receive(d.push(s2.reply!)[0]!);
  const s4 = resp.receive(d.push(s3.reply!)[0]!);
  if (!s3.done || !s4.done) throw new Error('handshake did not complete');
}

/** Handshakes per second over `samples` runs of about `sampleMs` each; returns the median. */
function handshakeRate(backend: CryptoBackend, samples: number, sampleMs: number): number {
  const i = x25519KeyPair(backend);
  const r = x25519KeyPair(backend);
  for (let k = 0; k < 3; k++) handshakeOnce(backend, i, r); // warm up
  const rates: number[] = [];
  for (let s = 0; s < samples; s++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < sampleMs) {
      handshakeOnce(backend, i, r);
      n++;
      t = performance.now();
    }
    rates.push((n * 1000) / (t - t0));
  }
  return median(rates);
}

const BODY = 64 * 1024;

/** MB/s of 64 KiB frames through a live link over loopback TCP (both ends in this process). */
async function linkThroughput(totalBytes: number): Promise<number> {
  const a = x25519KeyPair(nodeBackend);
  const b = x25519KeyPair(nodeBackend);
  let accepted!: Promise<Link>;
  const server = createServer({ noDelay: true }, (s) => {
    accepted = acceptLink(s, {
      meshId: MESH_ID,
      staticKey: b,
      isMember: () => true,
      rekeyIntervalMs: 0,
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const dialer = await dialLink(connect({ port, host: '127.0.0.1', noDelay: true }), {
    meshId: MESH_ID,
    staticKey: a,
    expectedRemote: b.publicKey,
    rehandshakeIntervalMs: 0,
    rekeyIntervalMs: 0,
  });
  const listener = await accepted;
  const body = new Uint8Array(BODY).fill(0x5a);
  const frames = Math.ceil(totalBytes / BODY);
  const t0 = performance.now();
  const reading = (async () => {
    let n = 0;
    for await (const f of listener) {
      if (f.length !== BODY) throw new Error('short frame');
      if (++n === frames) return;
    }
  })();
  for (let i = 0; i < frames; i++) await dialer.send(body);
  await reading;
  const seconds = (performance.now() - t0) / 1000;
  await dialer.close();
  await listener.closed;
  server.close();
  return (frames * BODY) / 1e6 / seconds;
}

/** The peer: node:crypto ChaCha20-Poly1305 sealing the same 64 KiB bodies, nothing else. */
function sealThroughput(totalBytes: number): number {
  const key = new Uint8Array(32).fill(1);
  const nonce = Buffer.alloc(12);
  const body = new Uint8Array(BODY).fill(0x5a);
  const frames = Math.ceil(totalBytes / BODY);
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    nonce.writeUInt32LE(i, 4);
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    c.update(body);
    c.final();
    c.getAuthTag();
  }
  return (frames * BODY) / 1e6 / ((performance.now() - t0) / 1000);
}

export const meshCryptoBench: Bench = {
  names: ['mesh.handshake', 'mesh.bytes'],
  async run(): Promise<BenchResult[]> {
    const node = handshakeRate(nodeBackend, 5, 1000);
    const noble = handshakeRate(nobleBackend, 3, 1000);
    const total = 256 * 1024 * 1024;
    await linkThroughput(16 * 1024 * 1024); // warm up
    const link = median([
      await linkThroughput(total),
      await linkThroughput(total),
      await linkThroughput(total),
    ]);
    const seal = median([sealThroughput(total), sealThroughput(total), sealThroughput(total)]);
    return [
      {
        name: 'mesh.handshake',
        unit: 'handshakes/s',
        value: node,
        peer: 'same Noise_XXhfs handshake on the @noble backend',
        peerValue: noble,
        ratio: higherIsBetter(node, noble),
        notes:
          `both sides in one process, framing included; ${(1000 / node).toFixed(2)} ms per handshake ` +
          `(node:crypto + ML-KEM from @noble/post-quantum) vs ${(1000 / noble).toFixed(2)} ms (@noble only)`,
      },
      {
        name: 'mesh.bytes',
        unit: 'MB/s',
        value: link,
        peer: 'node:crypto ChaCha20-Poly1305 sealing the same 64 KiB bodies alone',
        peerValue: seal,
        ratio: higherIsBetter(link, seal),
        notes:
          `64 KiB frames through a live link over loopback TCP, both ends in one process ` +
          `(fragmentation + framing + seal + open); ${total / 2 ** 20} MiB per run, median of 3`,
      },
    ];
  },
};

export default meshCryptoBench;
