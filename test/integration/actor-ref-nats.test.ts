// Refs inside messages across a real nats-server: the answer path travels in the body.
import { describe, expect, it } from 'vitest';
import { type ActorRef, actorRef, Rejected, type RuntimeEvent } from '../../index.ts';
import { Pinger, type PingerProtocol, Ponger, type PongerProtocol } from '../support/ref-defs.ts';
import { natsNodes } from '../support/test-systems.ts';

const { node } = natsNodes('it');

describe('refs in messages over NATS', () => {
  it('ping-pong between two nodes answers through the replyTo ref', async () => {
    const a = await node('a');
    const b = await node('b');
    a.spawn(Ponger, { name: 'ponger' });
    b.spawn(Pinger, { name: 'pinger' });
    await Promise.all([a.flush(), b.flush()]);
    const ponger = actorRef<PongerProtocol>('it', 'ponger');
    const pinger = actorRef<PingerProtocol>('it', 'pinger');
    // The pinger lives on b, the ponger on a: every ping and pong crosses the broker, and
    // each pong goes to a ref that came out of a MessagePack body.
    const got = await a.ask(pinger, 'run', { to: ponger, rounds: 20 }, { timeout: 5000 });
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const back = await b.ask(
      ponger,
      'echo',
      { ref: pinger },
      {
        timeout: 2000,
        reply: Ponger.asks.echo.reply,
      },
    );
    expect(back).toEqual({ system: 'it', path: 'pinger' });
  });

  it('a malformed ref is rejected on the receiving node: ask fails, tell is a dead letter', async () => {
    const a = await node('a');
    const b = await node('b');
    a.spawn(Ponger, { name: 'ponger' });
    await a.flush();
    const ponger = actorRef<PongerProtocol>('it', 'ponger');
    const bad = { system: 'it', path: 'x/*' } as ActorRef<PingerProtocol>;

    const err = await b
      .ask(ponger, 'echo', { ref: bad }, { timeout: 2000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Rejected);
    expect((err as Rejected).message).toMatch(/ref\.path/);

    const dead = new Promise<RuntimeEvent>((resolve) => {
      a.on((e) => {
        if (e.kind === 'deadLetter') resolve(e);
      });
    });
    b.tell(ponger, 'ping', { n: 1, replyTo: { system: '', path: 'pinger' } as never });
    expect(await dead).toMatchObject({ kind: 'deadLetter', to: 'ponger', type: 'ping' });
    const dl = await a.deadLetters();
    expect(dl.letters.at(-1)!.reason).toMatch(/^rejected: .*replyTo\.system/);
  });
});
