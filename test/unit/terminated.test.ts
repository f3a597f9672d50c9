import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActorSystem, defineActor, InvalidArgumentError, shardRef } from '../../runtime/index.ts';
import { kernelOf } from '../../runtime/kernel-access.ts';

const systems: ActorSystem[] = [];
async function start(name: string): Promise<ActorSystem> {
  const s = await ActorSystem.start({ name, logLevel: 'silent' });
  systems.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown({ timeoutMs: 2000 })));
});

const Worker = defineActor({
  type: 'term-worker',
  state: () => 0,
  tells: { quit: z.object({}), boom: z.object({}), add: z.object({}) },
  handle: {
    quit: (s, _m, ctx) => {
      void ctx.stop();
      return s;
    },
    boom: () => {
      throw new Error('boom');
    },
    add: (s) => s + 1,
  },
});

describe('system.terminated(ref)', () => {
  it('resolves every waiter with the reason the actor stopped, without an event listener', async () => {
    const sys = await start('term1');
    const a = sys.spawn(Worker, { name: 'a' });
    const waits = Array.from({ length: 50 }, () => sys.terminated(a));
    // The cheap path: waiters sit on the actor, not on the event bus.
    expect(kernelOf(sys).events.hasListeners()).toBe(false);
    sys.tell(a, 'quit', {});
    const all = await Promise.all(waits);
    expect(all.map((t) => t.reason)).toEqual(Array(50).fill('normal'));
    expect(all[0]!.ref.path).toBe(a.path);
  });

  it('answers at once for an actor that never was, or has already stopped', async () => {
    const sys = await start('term2');
    const ghost = { system: 'term2', path: 'nobody' };
    expect((await sys.terminated(ghost)).reason).toBe('noSuchActor');
    const a = sys.spawn(Worker, { name: 'b' });
    await sys.stop(a);
    // Gone from the registry once stopped: a later wait hears at once.
    expect(['noSuchActor', 'stopped']).toContain((await sys.terminated(a)).reason);
  });

  it('stays pending across a crash and restart, and resolves on the real stop', async () => {
    const sys = await start('term3');
    const a = sys.spawn(Worker, { name: 'c' });
    let settled = false;
    const wait = sys.terminated(a).then((t) => {
      settled = true;
      return t;
    });
    sys.tell(a, 'boom', {});
    sys.tell(a, 'add', {});
    await sys.whenQuiescent();
    expect(settled).toBe(false);
    expect(sys.lookup('c')).toBeDefined();
    await sys.stop(a);
    expect((await wait).reason).not.toBe('noSuchActor');
    expect(settled).toBe(true);
  });

  it('is settled for actors still running when the system shuts down', async () => {
    const sys = await ActorSystem.start({ name: 'term4', logLevel: 'silent' });
    const a = sys.spawn(Worker, { name: 'd' });
    const wait = sys.terminated(a);
    await sys.shutdown({ timeoutMs: 2000 });
    expect((await wait).ref.path).toBe(a.path);
  });

  it('refuses what is not an actor ref with a typed error', async () => {
    const sys = await start('term5');
    expect(() => sys.terminated(null as never)).toThrow(InvalidArgumentError);
    expect(() => sys.terminated(shardRef('term5', 'term-worker') as never)).toThrow(
      InvalidArgumentError,
    );
  });

  it('keeps the deprecated whenTerminated working the same way', async () => {
    const sys = await start('term6');
    const a = sys.spawn(Worker, { name: 'e' });
    const wait = sys.whenTerminated(a);
    sys.tell(a, 'quit', {});
    expect((await wait).reason).toBe('normal');
  });
});
