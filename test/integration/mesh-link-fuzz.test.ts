import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptLink,
  type Link,
  type LinkCloseReason,
  LinkError,
} from '../../actors/bridge/link/index.ts';
import { nodeBackend, toHex } from '../../protocols/crypto/index.ts';
import { encodeFrame, MeshError } from '../../protocols/mesh/index.ts';
import { NoiseError } from '../../protocols/noise/index.ts';
import { acceptOpts, dialB } from '../support/link-ends.ts';
import { type Direction, mitm } from '../support/mitm.ts';
import { dialTcp, serve, within } from '../support/tcp.ts';

const typed = (e: unknown) =>
  e instanceof LinkError || e instanceof MeshError || e instanceof NoiseError;
const deadlines = { handshakeTimeoutMs: 1500, frameTimeoutMs: 300, closeLingerMs: 200 };

let listener: Awaited<ReturnType<typeof serve<Promise<Link>>>>;
beforeAll(async () => {
  listener = await serve((s) => acceptLink(s, acceptOpts(deadlines)));
});
afterAll(() => listener.close());

describe('fuzzing a live link over TCP', () => {
  it('random bytes to a listener: no crash, no hang, a typed error', async () => {
    const chunk = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      // Well-framed garbage gets past the framing into the handshake.
      fc.uint8Array({ minLength: 0, maxLength: 2500 }).map((b) => encodeFrame(b)),
      fc.integer({ min: 1200, max: 1300 }).map((n) => encodeFrame(nodeBackend.randomBytes(n))),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(chunk, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (chunks, end) => {
          const socket = dialTcp(listener.port);
          socket.on('error', () => {});
          for (const c of chunks) socket.write(c);
          if (end) socket.end();
          const outcome = await within(
            listener.next().then(
              () => 'opened',
              (e: unknown) => e,
            ),
            5000,
            'listener outcome',
          );
          socket.destroy();
          expect(outcome).not.toBe('opened');
          expect(typed(outcome), String(outcome)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('mutated transport frames: the receiver closes with a typed error and never delivers a bad frame', async () => {
    const mutation = fc.record({
      direction: fc.constantFrom<Direction>('c2s', 's2c'),
      /** Which transport record (0 = first after the handshake). */
      target: fc.integer({ min: 0, max: 6 }),
      kind: fc.constantFrom(
        'flip',
        'truncate',
        'duplicate',
        'drop',
        'swap',
        'inject',
        'cut',
        'extend',
      ),
      at: fc.nat(),
      bit: fc.integer({ min: 0, max: 7 }),
    });
    const sizes = fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: 1, maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(mutation, sizes, async (m, frameSizes) => {
        let swapped: Uint8Array | null = null;
        const proxy = await mitm(listener.port, (direction, index, frame) => {
          // c2s: 0 = message 1, 1 = message 3; s2c: 0 = message 2. Transport follows.
          const first = direction === 'c2s' ? 2 : 1;
          if (direction !== m.direction || index < first) return { frames: [frame] };
          const t = index - first;
          if (swapped && t === m.target + 1) {
            const prev = swapped;
            swapped = null;
            return { frames: [frame, prev] };
          }
          if (t !== m.target) return { frames: [frame] };
          const i = m.at % Math.max(1, frame.length);
          switch (m.kind) {
            case 'flip': {
              frame[i]! ^= 1 << m.bit;
              return { frames: [frame] };
            }
            case 'truncate':
              return { frames: [frame.subarray(0, i)] };
            case 'extend':
              if (frame.length < 65535) return { frames: [new Uint8Array([...frame, m.bit])] };
              frame[i]! ^= 1;
              return { frames: [frame] };
            case 'duplicate':
              return { frames: [frame, frame] };
            case 'drop':
              return { frames: [] };
            case 'swap':
              swapped = frame;
              return { frames: [] };
            case 'inject':
              return { frames: [nodeBackend.randomBytes(17 + (m.at % 100)), frame] };
            case 'cut':
              return { cut: m.at % (frame.length + 2) };
          }
          return { frames: [frame] };
        });
        try {
          const dialer = await within(dialB(proxy.port, deadlines), 5000, 'dial');
          const server = await within(listener.next(), 5000, 'accept');
          const [sender, receiver] = m.direction === 'c2s' ? [dialer, server] : [server, dialer];
          const sent = frameSizes.map((n, i) => new Uint8Array(n).fill(i + 1));
          const delivered: Uint8Array[] = [];
          const reading = (async () => {
            try {
              for await (const f of receiver) delivered.push(f);
            } catch {
              // The close reason below says what happened.
            }
          })();
          for (const f of sent) await sender.send(f).catch(() => {});
          await sender.close('done');
          const reason: LinkCloseReason = await within(receiver.closed, 5000, 'receiver closed');
          await within(reading, 5000, 'reader');
          // Never a corrupted frame: what arrived is a prefix of what was sent.
          expect(delivered.length).toBeLessThanOrEqual(sent.length);
          for (const [i, f] of delivered.entries()) expect(toHex(f)).toBe(toHex(sent[i]!));
          if (reason.by === 'error') expect(typed(reason.error), String(reason.error)).toBe(true);
          else {
            // Only a mutation that missed every record (target past the close) leaves it clean.
            expect(reason.by).toBe('remote');
            expect(delivered.length).toBe(sent.length);
          }
          await dialer.closed;
          await server.closed;
        } finally {
          await proxy.close();
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
