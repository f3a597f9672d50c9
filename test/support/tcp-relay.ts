import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/**
 * A TCP relay on loopback that records every byte it forwards, per direction: what a network
 * observer between two bridges would capture.
 */
export async function recordingRelay(
  host: string,
  target: { host: string; port: number },
): Promise<{
  endpoint: string;
  /** Bytes from the dialing side (client → target) and back (target → client). */
  captured: () => { toTarget: Buffer; fromTarget: Buffer };
  /** Cuts every relayed connection (both ends), as a network failure would. */
  cut: () => void;
  close: () => Promise<void>;
}> {
  const toTarget: Buffer[] = [];
  const fromTarget: Buffer[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ ...target, noDelay: true });
    track(client);
    track(upstream);
    client.on('data', (d: Buffer) => {
      toTarget.push(Buffer.from(d));
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      fromTarget.push(Buffer.from(d));
      client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `${host}:${port}`,
    captured: () => ({ toTarget: Buffer.concat(toTarget), fromTarget: Buffer.concat(fromTarget) }),
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
