import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActorRef, ActorSystem } from '../../index.ts';
import { Recorder } from '../support/defs.ts';
import { type NatsServer, startNatsCluster, stopAllNatsServers } from '../support/nats-server.ts';
import { eventually } from '../support/processes.ts';

let nodes: NatsServer[];
beforeAll(async () => {
  nodes = await startNatsCluster(3);
}, 60_000);
afterAll(async () => {
  await stopAllNatsServers();
});

type RecorderP = NonNullable<(typeof Recorder)['__protocol']>;

describe('a 3-node nats-server cluster', () => {
  it('routes asks between nodes on different servers, and survives kill -9 of one server mid-load', async () => {
    const { user, pass } = nodes[0]!;
    const all = nodes.map((n) => n.url);
    // Each system knows every server, so it can fail over.
    const a = await ActorSystem.start({
      name: 'cl',
      node: 'a',
      logLevel: 'silent',
      transport: { kind: 'nats', servers: [all[0]!, all[1]!, all[2]!], user, pass },
    });
    const b = await ActorSystem.start({
      name: 'cl',
      node: 'b',
      logLevel: 'silent',
      transport: { kind: 'nats', servers: [all[2]!, all[1]!, all[0]!], user, pass },
    });
    try {
      a.spawn(Recorder, { name: 'rec' });
      await a.flush();
      const rec: ActorRef<RecorderP> = { system: 'cl', path: 'rec' };
      // Interest crosses the routes asynchronously; wait until b can reach a's actor.
      await eventually(() => b.ask(rec, 'echo', { text: 'hi' }, { timeout: 500 }), 10_000);
      let sent = 0;
      let sending = true;
      const load = (async () => {
        while (sending) {
          b.tell(rec, 'note', { seq: sent++ });
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      await new Promise((r) => setTimeout(r, 200));
      // Kill the server the actor's node is connected to (clients shuffle their server list).
      const name = a.nats?.info?.server_name;
      const victim = nodes[Number(String(name).slice(1)) - 1];
      expect(victim, `a is connected to ${name}`).toBeDefined();
      await victim!.stop('SIGKILL');
      await eventually(async () => {
        if (a.nats?.info?.server_name === name) throw new Error('a has not moved yet');
      }, 20_000);
      const back = await eventually(
        () => b.ask(rec, 'echo', { text: 'after' }, { timeout: 500 }),
        20_000,
      );
      expect(back.text).toBe('after');
      const firstAfter = sent;
      await new Promise((r) => setTimeout(r, 300));
      sending = false;
      await load;
      const seen = (await b.ask(rec, 'seen', {}, { timeout: 2000 })).map((s) => s.seq);
      const after = seen.filter((s) => s >= firstAfter);
      expect(after).toEqual(Array.from({ length: sent - firstAfter }, (_, i) => firstAfter + i));
      expect(seen).toEqual([...seen].sort((x, y) => x - y));
    } finally {
      await b.shutdown({ timeoutMs: 2000 });
      await a.shutdown({ timeoutMs: 2000 });
    }
  }, 60_000);
});
