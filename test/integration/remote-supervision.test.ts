import { describe, expect, it } from 'vitest';
import { eventually } from '../support/processes.ts';
import { remoteTeam, useRemoteHosts } from '../support/remote-team.ts';

const { w, host, boss } = useRemoteHosts('rs');

describe('supervising a child in another process', () => {
  it('starts it there, restarts it there after a crash, by the same rules', async () => {
    await host('h1');
    const { sys } = await boss();
    const Team = remoteTeam({ intensity: 3, period: 60 }, { node: 'h1' });
    const team = sys.spawn(Team, { name: 'team' });
    await eventually(() => sys.ask(w, 'where', {}, { timeout: 500 }));
    expect(await sys.ask(w, 'where', {}, { timeout: 1000 })).toBe('h1');
    expect(sys.lookup('team/w')).toBeUndefined(); // not in this process
    sys.tell(w, 'inc', {});
    expect(await sys.ask(w, 'n', {}, { timeout: 1000 })).toBe(1);
    sys.tell(w, 'crash', {});
    const kids = await eventually(async () => {
      const k = await sys.ask(team, 'whichChildren', {}, { timeout: 1000 });
      if (k[0]?.restarts !== 1 || k[0].status !== 'running') throw new Error('not restarted yet');
      return k;
    });
    expect(kids[0]).toMatchObject({ id: 'w', restarts: 1, lastFailure: 'remote boom' });
    expect(await sys.ask(w, 'n', {}, { timeout: 1000 })).toBe(0); // fresh state after the restart
  });

  it('treats a SIGKILLed host as a crash and restarts the child on another host', async () => {
    const h1 = await host('h1');
    const h2 = await host('h2');
    const { sys, events } = await boss();
    const Team = remoteTeam({ intensity: 3, period: 60 }, { node: '*' });
    const team = sys.spawn(Team, { name: 'team' });
    const first = await eventually(() => sys.ask(w, 'where', {}, { timeout: 500 }));
    const victim = first === 'h1' ? h1 : h2;
    const t0 = Date.now();
    victim.kill('SIGKILL');
    const second = await eventually(() => sys.ask(w, 'where', {}, { timeout: 300 }), 15_000);
    expect(second).toBe(first === 'h1' ? 'h2' : 'h1');
    expect(Date.now() - t0).toBeLessThan(10_000);
    const kids = await sys.ask(team, 'whichChildren', {}, { timeout: 1000 });
    expect(kids[0]!.restarts).toBe(1);
    expect(kids[0]!.lastFailure).toMatch(/host lost: node h[12] silent/);
    // The lost host cannot report its crash: the supervising node reports it.
    expect(
      events.some((e) => e.kind === 'crashed' && e.path === 'team/w' && /host lost/.test(e.reason)),
    ).toBe(true);
  });

  it('fails to start when the node named for the child is not there', async () => {
    const { sys, events } = await boss();
    const Team = remoteTeam({ intensity: 0, period: 60 }, { node: 'nowhere' });
    sys.spawn(Team, { name: 'team' });
    await eventually(async () => {
      if (!events.some((e) => e.kind === 'crashed' && e.path === 'team'))
        throw new Error('not yet');
    });
    const crash = events.find((e) => e.kind === 'crashed' && e.path === 'team');
    expect(crash && 'reason' in crash ? crash.reason : '').toMatch(
      /child w failed to start: no actor at troupe\.rs\.ctl\.nowhere\.spawn/,
    );
  });
});
