import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/processes.ts';
import { remoteTeam, useRemoteHosts } from '../support/remote-team.ts';
import { runTroupe } from '../support/troupe-cli.ts';

// A supervisor whose child may run on any host (`node: '*'`) waits for one when there is none,
// instead of burning its restart intensity on failed starts.

const rh = useRemoteHosts('hw');
const { w, host, boss } = rh;

describe('a remote child waits for a host', () => {
  it('survives the SIGKILL of its only host and starts on a new host 5 s later', async () => {
    const h1 = await host('h1');
    const { sys, events } = await boss();
    // Intensity 1: the lost host is one restart; a failed start while waiting would be a
    // second and the supervisor would give up.
    const Team = remoteTeam({ intensity: 1, period: 60 }, { node: '*' });
    const team = sys.spawn(Team, { name: 'team' });
    expect(await eventually(() => sys.ask(w, 'where', {}, { timeout: 500 }), 30_000)).toBe('h1');

    h1.kill('SIGKILL');
    const waiting = await eventually(async () => {
      const k = await sys.ask(team, 'whichChildren', {}, { timeout: 1000 });
      if (k[0]?.status !== 'waiting') throw new Error(`not waiting yet: ${k[0]?.status}`);
      return k[0];
    }, 30_000);
    expect(waiting).toMatchObject({ id: 'w', restarts: 1 });
    // `troupe tree` shows the child that has no host yet, reported by its supervisor's node.
    const tree = await runTroupe(['tree', '--json', '--nats', rh.server.url, '--system', 'hw'], {
      TROUPE_NATS_USER: rh.server.user,
      TROUPE_NATS_PASS: rh.server.pass,
    });
    expect(tree.code, tree.stderr).toBe(0);
    const rows = JSON.parse(tree.stdout) as { path: string; status: string; node: string }[];
    expect(rows.find((r) => r.path === 'team/w')).toMatchObject({
      status: 'waiting',
      node: 'boss',
    });

    await sleep(5_000); // the scenario: a new host comes 5 s later
    await host('h2');
    expect(await eventually(() => sys.ask(w, 'where', {}, { timeout: 500 }), 30_000)).toBe('h2');
    const kids = await sys.ask(team, 'whichChildren', {}, { timeout: 1000 });
    expect(kids[0]).toMatchObject({ status: 'running', restarts: 1 });
    expect(await sys.exists(team)).toBe(true);
    expect(events.some((e) => e.kind === 'gaveUp')).toBe(false);
  }, 120_000);

  it('starts a supervisor before any host exists; the child starts when one comes', async () => {
    const { sys, events } = await boss();
    const Team = remoteTeam({ intensity: 0, period: 60 }, { node: '*' });
    const team = sys.spawn(Team, { name: 'team' });
    await sys.started(team);
    const k = await sys.ask(team, 'whichChildren', {}, { timeout: 1000 });
    expect(k[0]).toMatchObject({ status: 'waiting', restarts: 0 });
    await host('h3');
    expect(await eventually(() => sys.ask(w, 'where', {}, { timeout: 500 }), 30_000)).toBe('h3');
    expect(events.some((e) => e.kind === 'crashed' && e.path === 'team')).toBe(false);
  }, 120_000);

  it('gives up after waitForHostMs with a message that names the type, not a subject', async () => {
    const { sys, events } = await boss();
    const Team = remoteTeam({ intensity: 0, period: 60 }, { node: '*', waitForHostMs: 1000 });
    sys.spawn(Team, { name: 'team' });
    const crash = await eventually(async () => {
      const e = events.find((x) => x.kind === 'gaveUp' && x.path === 'team');
      if (!e || !('reason' in e)) throw new Error(`not yet: ${JSON.stringify(events)}`);
      return e.reason;
    }, 30_000);
    expect(crash).toMatch(/no node hosts type remote-worker \(waited \d+ ms for one\)/);
    expect(crash).not.toMatch(/troupe\.hw\.ctl/);
  }, 60_000);
});
