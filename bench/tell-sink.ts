// The receiving actor and the send loops shared by the NATS and mesh tell figures, so both
// measure exactly the same thing on the troupe side and on the raw nats.js side.
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { type ActorRef, type ActorSystem, defineActor } from '../index.ts';
import { Arrivals, tick } from './types.ts';

/** Messages per event-loop turn on both sides. */
export const CHUNK = 1000;
/** A body whose MessagePack encoding is 128 bytes: { p: <123 bytes> }. */
export const PAYLOAD = new Uint8Array(123).fill(7);
/** The raw peer's 128-byte message. */
export const RAW = new Uint8Array(128).fill(7);

export const arrivals = new Arrivals();

export const Sink = defineActor({
  type: 'sink',
  state: () => null,
  tells: { data: z.object({ p: z.instanceof(Uint8Array) }) },
  asks: {
    echo: { request: z.object({ p: z.instanceof(Uint8Array) }), reply: z.instanceof(Uint8Array) },
    ping: { request: z.object({}), reply: z.literal('pong') },
  },
  handle: {
    data() {
      arrivals.hit();
    },
    echo: (_s, m, ctx) => ctx.reply(m.p),
    ping: (_s, _m, ctx) => ctx.reply('pong'),
  },
});
export type SinkP = NonNullable<(typeof Sink)['__protocol']>;

/** `n` tells of 128-byte bodies; msg/s until the sink has them all. */
export async function troupeTell(
  sender: ActorSystem,
  ref: ActorRef<SinkP>,
  n: number,
): Promise<number> {
  const finished = arrivals.expect(n);
  const body = { p: PAYLOAD };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    sender.tell(ref, 'data', body);
    if (i % CHUNK === CHUNK - 1) await tick();
  }
  await finished;
  return n / ((performance.now() - t0) / 1000);
}

/** The same with raw nats.js; the subscriber calls `arrivals.hit()`. */
export async function rawTell(pub: NatsConnection, subject: string, n: number): Promise<number> {
  const finished = arrivals.expect(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    pub.publish(subject, RAW);
    if (i % CHUNK === CHUNK - 1) await tick();
  }
  await finished;
  return n / ((performance.now() - t0) / 1000);
}
