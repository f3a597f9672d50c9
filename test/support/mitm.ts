import type { Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from '../../protocols/mesh/index.ts';
import { dialTcp, serve } from './tcp.ts';

export type Direction = 'c2s' | 's2c';

/** What to do with one frame: forward these frames, or cut the stream after `rawPrefix` bytes of it. */
export type Tamper = (
  direction: Direction,
  index: number,
  frame: Uint8Array,
) => { frames: Uint8Array[] } | { cut: number };

/**
 * A frame-aware TCP man in the middle on loopback: parses each direction's length-prefixed frames
 * and lets a test duplicate, drop, reorder, alter or cut them.
 */
export async function mitm(targetPort: number, tamper: Tamper) {
  return serve((client: Socket) => {
    const upstream = dialTcp(targetPort);
    const pipe = (from: Socket, to: Socket, direction: Direction) => {
      const decoder = new FrameDecoder();
      let index = 0;
      let held: Uint8Array[] = [];
      let done = false;
      from.on('data', (chunk: Buffer) => {
        if (done) return;
        for (const frame of decoder.push(chunk)) {
          const r = tamper(direction, index++, frame.slice());
          if ('cut' in r) {
            to.end(encodeFrame(frame).subarray(0, r.cut));
            done = true;
            return;
          }
          held = r.frames;
          for (const f of held) to.write(encodeFrame(f));
        }
      });
      from.on('end', () => to.end());
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
    };
    pipe(client, upstream, 'c2s');
    pipe(upstream, client, 's2c');
  });
}
