import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentIdentity, agentPassword, groupMembers } from '../../actors/process/index.ts';
import {
  type ActorRef,
  ActorSystem,
  actorRef,
  defineSupervisor,
  MemoryAuditSink,
  PermissionDenied,
  type ProtocolOf,
  permissionDenied,
  type TreeRow,
} from '../../index.ts';
import { decodeBody } from '../../protocols/envelope/index.ts';
import { Echo, Forker, Hog } from '../fixtures/process/agents.ts';
import { procAlive, processGroup } from '../support/proc-stat.ts';
import { AGENTS_MODULE, type ProcessRig, processRig, until } from '../support/process-agents.ts';

const SYS = 'ptest';
const SECRET_A = 'sk-a-very-secret-value-AAAA';
const SECRET_B = 'sk-b-very-secret-value-BBBB';
type EchoRef = ActorRef<ProtocolOf<typeof Echo>>;

const Team = defineSupervisor({
  type: 'team',
  strategy: 'one_for_one',
  intensity: 20,
  period: 10,
  children: [
    {
      id: 'a',
      start: {
        def: Echo,
        process: { module: AGENTS_MODULE, secrets: ['API_KEY'], env: { MODE: 'a' } },
      },
    },
    { id: 'b', start: { def: Echo, process: { module: AGENTS_MODULE, secrets: ['API_KEY'] } } },
  ],
});

describe('process agents on a nats-server with the generated config', () => {
  let rig: ProcessRig;
  let a: EchoRef;
  let b: EchoRef;
  let team: ActorRef<ProtocolOf<typeof Team>>;
  const audit = new MemoryAuditSink();

  /** The agent's ping once a new process answers it: its supervisor restarted it. */
  const pingAfterRestart = (agent: EchoRef, oldPid: number) =>
    until(async () => {
      try {
        const p = await rig.system.ask(agent, 'ping', {}, { timeout: 2_000 });
        return p.pid !== oldPid ? p : undefined;
      } catch {
        return undefined;
      }
    }, 180_000);

  beforeAll(async () => {
    rig = await processRig(SYS, [
      { path: 'team/a', peers: [] },
      { path: 'team/b', peers: [] },
      { path: 'forkers/f', peers: [] },
      { path: 'hogs/h', peers: [] },
      { path: 'cmds/c', peers: [] },
      { path: 'users/u', peers: [] },
    ]);
    rig.system.setAuditSink(audit);
    await rig.store.set('team/a', 'API_KEY', SECRET_A);
    await rig.store.set('team/b', 'API_KEY', SECRET_B);
    team = rig.system.spawn(Team, { name: 'team' });
    await rig.system.allStarted();
    a = actorRef(SYS, 'team/a');
    b = actorRef(SYS, 'team/b');
  }, 300_000);
  afterAll(async () => {
    await rig?.close();
  }, 240_000);

  it('runs each agent in its own process, workspace and scrubbed environment', async () => {
    const pa = await rig.system.ask(a, 'ping', {}, { timeout: 60_000 });
    const pb = await rig.system.ask(b, 'ping', {}, { timeout: 60_000 });
    expect(pa.pid).not.toBe(process.pid);
    expect(pb.pid).not.toBe(pa.pid);
    expect(pa.cwd).toBe(join(rig.workspaces, 'team', 'a'));
    expect(pb.cwd).toBe(join(rig.workspaces, 'team', 'b'));
    expect(statSync(pa.cwd).mode & 0o777).toBe(0o700);
    // Only what the spec names: nothing of the parent's environment.
    expect(await rig.system.ask(a, 'env', {}, { timeout: 60_000 })).toEqual({ MODE: 'a' });
    expect(await rig.system.ask(b, 'env', {}, { timeout: 60_000 })).toEqual({});
    // Own process group.
    expect(processGroup(pa.pid)).toBe(pa.pid);
  }, 240_000);

  it('delivers each agent its own secrets only: not in env, files or fds', async () => {
    expect(await rig.system.ask(a, 'secret', { name: 'API_KEY' }, { timeout: 60_000 })).toBe(
      SECRET_A,
    );
    expect(await rig.system.ask(b, 'secret', { name: 'API_KEY' }, { timeout: 60_000 })).toBe(
      SECRET_B,
    );
    const { pid } = await rig.system.ask(a, 'ping', {}, { timeout: 60_000 });
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    expect(environ).not.toContain(SECRET_A);
    expect(environ).not.toContain(SECRET_B);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(SECRET_B);
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      expect(target.startsWith(rig.store.dir)).toBe(false);
      if (target.startsWith('/') && existsSync(target) && statSync(target).isFile()) {
        const text = readFileSync(target, 'utf8');
        expect(text).not.toContain(SECRET_B);
      }
    }
    // At rest, the store holds no value in clear.
    for (const f of readdirSync(rig.store.dir)) {
      const text = readFileSync(join(rig.store.dir, f), 'utf8');
      expect(text).not.toContain(SECRET_A);
      expect(text).not.toContain(SECRET_B);
    }
    // Nothing in A's workspace either.
    for (const f of readdirSync(join(rig.workspaces, 'team', 'a')))
      expect(readFileSync(join(rig.workspaces, 'team', 'a', f), 'utf8')).not.toContain(SECRET_B);
  }, 240_000);

  describe("with agent A's own credentials", () => {
    const idA = agentIdentity(SYS, 'team/a');
    const idB = agentIdentity(SYS, 'team/b');
    let nc: NatsConnection;
    const errors: unknown[] = [];
    beforeAll(async () => {
      nc = await connect({
        servers: rig.nats.url,
        user: idA.user,
        pass: agentPassword(rig.key, SYS, 'team/a'),
        inboxPrefix: idA.inboxPrefix,
      });
      void (async () => {
        for await (const s of nc.status()) if (s.type === 'error') errors.push(s.error);
      })();
    });
    afterAll(async () => {
      await nc?.close();
    });

    const nextDenial = async (subject: string): Promise<PermissionDenied> =>
      until(() => {
        for (const e of errors) {
          const d = permissionDenied(e);
          if (d && d.subject === subject) return d;
        }
        return undefined;
      }, 20_000);

    it("cannot publish to B's subject: a typed PermissionDenied, not a silent drop", async () => {
      const subject = `troupe.${SYS}.a.team.b`;
      nc.publish(subject, new Uint8Array([1]));
      const d = await nextDenial(subject);
      expect(d).toBeInstanceOf(PermissionDenied);
      expect(d.operation).toBe('publish');
    }, 120_000);

    it("cannot subscribe to B's subject or B's inbox", async () => {
      for (const subject of [`troupe.${SYS}.a.team.b`, `${idB.inboxPrefix}.>`, '_INBOX.>']) {
        const sub = nc.subscribe(subject);
        const closed = await sub.closed;
        const d = permissionDenied(closed);
        expect(d, subject).toBeInstanceOf(PermissionDenied);
        expect(d!.operation).toBe('subscription');
      }
    }, 120_000);

    it('may read its own inbox and publish to its parent', async () => {
      const sub = nc.subscribe(`${idA.inboxPrefix}.x`, { max: 1 });
      await nc.flush();
      const before = errors.length;
      nc.publish(`troupe.${SYS}.a.team`, new Uint8Array([0x90]));
      await nc.flush();
      rig.system.nats!.publish(`${idA.inboxPrefix}.x`, new Uint8Array([7]));
      let got: number | undefined;
      for await (const m of sub) got = m.data[0];
      expect(got).toBe(7);
      await nc.flush();
      expect(errors.slice(before).filter((e) => permissionDenied(e) !== null)).toEqual([]);
    }, 120_000);

    it('an ask the broker refuses fails with PermissionDenied; allowed asks work', async () => {
      const asA = await ActorSystem.start({
        name: SYS,
        node: idA.node,
        logLevel: 'silent',
        heartbeatMs: 0,
        transport: {
          kind: 'nats',
          servers: rig.nats.url,
          user: idA.user,
          pass: agentPassword(rig.key, SYS, 'team/a'),
          inboxPrefix: idA.inboxPrefix,
        },
      });
      try {
        await expect(asA.ask(b, 'ping', {}, { timeout: 60_000 })).rejects.toBeInstanceOf(
          PermissionDenied,
        );
        const kids = await asA.ask(team, 'whichChildren', {}, { timeout: 60_000 });
        expect(kids.map((k) => k.id)).toEqual(['a', 'b']);
      } finally {
        await asA.shutdown({ timeoutMs: 5_000 });
      }
    }, 180_000);
  });

  it('kill -9 of an agent: restarted by its supervisor, workspace and secrets intact', async () => {
    const before = await rig.system.ask(a, 'ping', {}, { timeout: 60_000 });
    writeFileSync(join(before.cwd, 'notes.txt'), 'kept across restarts');
    process.kill(before.pid, 'SIGKILL');
    const after = await pingAfterRestart(a, before.pid);
    expect(after.cwd).toBe(before.cwd);
    expect(readFileSync(join(after.cwd, 'notes.txt'), 'utf8')).toBe('kept across restarts');
    expect(await rig.system.ask(a, 'secret', { name: 'API_KEY' }, { timeout: 60_000 })).toBe(
      SECRET_A,
    );
    const kids = await rig.system.ask(team, 'whichChildren', {}, { timeout: 60_000 });
    const ka = kids.find((k) => k.id === 'a')!;
    expect(ka.restarts).toBeGreaterThanOrEqual(1);
    expect(ka.lastFailure).toBe('killed by SIGKILL');
    expect(procAlive(before.pid)).toBe(false);
  }, 240_000);

  it('secrets never appear in logs, tree rows, the audit trail or crash reports', async () => {
    const before = await rig.system.ask(b, 'ping', {}, { timeout: 60_000 });
    rig.system.tell(b, 'leak', { name: 'API_KEY' });
    await pingAfterRestart(b, before.pid);
    const kids = await rig.system.ask(team, 'whichChildren', {}, { timeout: 60_000 });
    const kb = kids.find((k) => k.id === 'b')!;
    expect(kb.lastFailure).toContain('upstream refused key [secret API_KEY]');
    expect(kb.lastFailure).not.toContain(SECRET_B);
    const log = readFileSync(join(rig.logs, 'team.b.log'), 'utf8');
    expect(log).toContain('[secret API_KEY]');
    expect(log).toContain('process limits: none asked');
    expect(log).not.toContain(SECRET_B);
    expect(JSON.stringify(audit.events)).not.toContain(SECRET_B);
    expect(audit.events.some((e) => e.kind === 'process.exited' && e.actor === 'team/b')).toBe(
      true,
    );
    // Tree rows from every node, the agents' own included (what troupe tree and troupe ps read).
    const rows: TreeRow[] = [];
    const nc = rig.system.nats!;
    for await (const m of await nc.requestMany(`troupe.${SYS}.ctl.all.tree`, new Uint8Array(), {
      maxWait: 3_000,
    }))
      rows.push(...(decodeBody(m.data) as TreeRow[]));
    const rb = rows.find((r) => r.path === 'team/b' && r.process !== undefined);
    expect(rb?.process).toMatchObject({ workspace: join(rig.workspaces, 'team', 'b') });
    expect(rb?.process?.logFile).toBe(join(rig.logs, 'team.b.log'));
    expect(rb?.process?.rssBytes).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(SECRET_B);
  }, 240_000);

  it('stopping an agent that forked grandchildren leaves no process behind', async () => {
    const Forkers = defineSupervisor({
      type: 'forkers',
      strategy: 'one_for_one',
      children: [
        { id: 'f', shutdown: 1_000, start: { def: Forker, process: { module: AGENTS_MODULE } } },
      ],
    });
    const sup = rig.system.spawn(Forkers, { name: 'forkers' });
    await rig.system.allStarted();
    const f = actorRef<ProtocolOf<typeof Forker>>(SYS, 'forkers/f');
    const kids = await rig.system.ask(f, 'kids', {}, { timeout: 60_000 });
    const [{ pid }] = await until(async () => {
      const rows: TreeRow[] = [];
      for await (const m of await rig.system.nats!.requestMany(
        `troupe.${SYS}.ctl.all.tree`,
        new Uint8Array(),
        {
          maxWait: 2_000,
        },
      ))
        rows.push(...(decodeBody(m.data) as TreeRow[]));
      const r = rows.find((x) => x.path === 'forkers/f' && x.process);
      return r ? [r.process!] : undefined;
    });
    // The shells and their sleeps: at least 5 processes in the agent's group.
    await until(() => (groupMembers(pid).length >= 5 ? true : undefined));
    for (const k of kids) expect(procAlive(k)).toBe(true);
    await rig.system.stop(sup);
    await until(() => (groupMembers(pid).length === 0 ? true : undefined), 30_000);
    expect(procAlive(pid)).toBe(false);
    for (const k of kids) expect(procAlive(k)).toBe(false);
  }, 240_000);

  it('a memory limit hit is the exit reason', async () => {
    const Hogs = defineSupervisor({
      type: 'hogs',
      strategy: 'one_for_one',
      intensity: 5,
      period: 60,
      children: [
        {
          id: 'h',
          restart: 'transient',
          start: { def: Hog, process: { module: AGENTS_MODULE, limits: { memoryMb: 160 } } },
        },
      ],
    });
    const sup = rig.system.spawn(Hogs, { name: 'hogs' });
    await rig.system.allStarted();
    const h = actorRef<ProtocolOf<typeof Hog>>(SYS, 'hogs/h');
    const pid = await rig.system.ask(h, 'ping', {}, { timeout: 60_000 });
    rig.system.tell(h, 'eat', {});
    const failure = await until(async () => {
      const k = await rig.system.ask(sup, 'whichChildren', {}, { timeout: 60_000 });
      return k[0]?.lastFailure ?? undefined;
    }, 300_000);
    expect(failure).toMatch(/^memory limit exceeded \(limits\.memoryMb=160\)/);
    // Which mechanism enforced it is in the agent's log.
    expect(readFileSync(join(rig.logs, 'hogs.h.log'), 'utf8')).toMatch(
      /process limits: (prlimit|cgroup v2)/,
    );
    expect(procAlive(pid)).toBe(false);
  }, 360_000);

  it('runs any command that speaks the stdio protocol on fd 3, and stops its whole group', async () => {
    // Read the bootstrap, check it is this agent's, say ready, start a grandchild, wait.
    const script = [
      'read -r boot <&3',
      'case "$boot" in *\'"user":"agent:ptest:cmds/c"\'*) ;; *) exit 9 ;; esac',
      'case "$boot" in *sk-b-very*) exit 8 ;; esac',
      'echo "{\\"t\\":\\"ready\\",\\"pid\\":$$}" >&3',
      '/bin/sleep 1000 &',
      'wait',
    ].join('\n');
    const Cmds = defineSupervisor({
      type: 'cmds',
      strategy: 'one_for_one',
      children: [
        {
          id: 'c',
          shutdown: 2_000,
          start: { def: Echo, process: { command: ['/bin/bash', '-c', script] } },
        },
      ],
    });
    const sup = rig.system.spawn(Cmds, { name: 'cmds' });
    await rig.system.allStarted();
    const kids = await rig.system.ask(sup, 'whichChildren', {}, { timeout: 60_000 });
    expect(kids[0]).toMatchObject({ id: 'c', status: 'running', restarts: 0 });
    const started = audit.events.find((e) => e.kind === 'process.started' && e.actor === 'cmds/c');
    const pid = started!.data.pid as number;
    await until(() => (groupMembers(pid).length >= 2 ? true : undefined));
    await rig.system.stop(sup);
    await until(() => (groupMembers(pid).length === 0 ? true : undefined), 30_000);
    expect(procAlive(pid)).toBe(false);
  }, 240_000);

  it('runs an agent as another user when the spec gives a uid', async () => {
    chmodSync(rig.dir, 0o711); // the agent's user must reach its workspace below
    const Users = defineSupervisor({
      type: 'users',
      strategy: 'one_for_one',
      intensity: 0,
      children: [
        {
          id: 'u',
          start: { def: Echo, process: { module: AGENTS_MODULE, uid: 65534, gid: 65534 } },
        },
      ],
    });
    rig.system.spawn(Users, { name: 'users' });
    const u = actorRef<ProtocolOf<typeof Echo>>(SYS, 'users/u');
    if (process.getuid?.() === 0) {
      await rig.system.allStarted();
      const { pid, cwd } = await rig.system.ask(u, 'ping', {}, { timeout: 60_000 });
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)/m.exec(status)![1]).toBe('65534');
      expect(statSync(cwd).uid).toBe(65534);
    } else {
      // Switching users needs privileges: the start fails with the reason, typed.
      await expect(rig.system.allStarted()).rejects.toThrow(
        /ProcessStartFailed|EPERM|not permitted/,
      );
    }
  }, 240_000);
});
