import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '../../actors/process/index.ts';
import { newMasterKey, SecretsCorrupt, SecretsKeyMissing } from '../../actors/secrets/index.ts';
import { secrets } from '../../deploy/commands/secrets.ts';
import { InvalidArgument } from '../../runtime/index.ts';
import { procAlive } from '../support/proc-stat.ts';
import { until } from '../support/process-agents.ts';
import { runTroupe } from '../support/troupe-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'troupe-pcli-'));
const key = newMasterKey();
const env = { TROUPE_SECRETS_KEY: key, TROUPE_SECRETS_DIR: join(dir, 'secrets') };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines: string[] = [];
const out = (l: string): void => {
  lines.push(l);
};

describe('troupe secrets', () => {
  it('set reads the value from stdin; list shows names only; rotate and rm', async () => {
    const stdin = Readable.from(['s3cr3t-value-0001\n']);
    expect(await secrets(['set', 'team/a', 'API_KEY'], out, { stdin, env })).toBe(0);
    expect(
      await secrets(['set', 'team/a', 'OTHER'], out, { stdin: Readable.from(['x']), env }),
    ).toBe(0);
    lines.length = 0;
    await secrets(['list', 'team/a'], out, { env });
    expect(lines).toEqual(['API_KEY', 'OTHER']);
    lines.length = 0;
    await secrets(['list'], out, { env });
    expect(lines).toEqual(['team/a']);
    const file = join(dir, 'secrets', 'team.a.secrets');
    const before = readFileSync(file, 'utf8');
    expect(before).not.toContain('s3cr3t-value-0001');
    expect(await secrets(['rotate', 'team/a'], out, { env })).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toBe(before);
    // Re-wrap under a new master key, then only the new key opens it.
    const next = newMasterKey();
    await secrets(['rotate', 'team/a'], out, { env: { ...env, TROUPE_SECRETS_NEW_KEY: next } });
    await expect(secrets(['list', 'team/a'], out, { env })).rejects.toBeInstanceOf(SecretsCorrupt);
    const env2 = { ...env, TROUPE_SECRETS_KEY: next };
    lines.length = 0;
    await secrets(['list', 'team/a'], out, { env: env2 });
    expect(lines).toEqual(['API_KEY', 'OTHER']);
    expect(await secrets(['rm', 'team/a', 'OTHER'], out, { env: env2 })).toBe(0);
    expect(await secrets(['rm', 'team/a', 'OTHER'], out, { env: env2 })).toBe(1);
    expect(await secrets(['rm', 'team/a'], out, { env: env2 })).toBe(0);
    expect(readdirSync(join(dir, 'secrets'))).toEqual([]);
  });

  it('refuses bad input with typed errors', async () => {
    await expect(
      secrets(['list', 'team/a'], out, { env: { TROUPE_SECRETS_DIR: dir } }),
    ).rejects.toBeInstanceOf(SecretsKeyMissing);
    await expect(secrets(['set', 'team/a'], out, { env })).rejects.toBeInstanceOf(InvalidArgument);
    await expect(
      secrets(['set', 'team/../x', 'K'], out, { env, stdin: Readable.from(['v']) }),
    ).rejects.toBeInstanceOf(InvalidArgument);
    await expect(
      secrets(['set', 'team/a', 'bad-name'], out, { env, stdin: Readable.from(['v']) }),
    ).rejects.toBeInstanceOf(InvalidArgument);
    await expect(secrets(['frob'], out, { env })).rejects.toBeInstanceOf(InvalidArgument);
    await expect(
      secrets(['list'], out, { env: { ...env, TROUPE_SECRETS_KEY: 'short' } }),
    ).rejects.toThrow(/32 bytes/);
  });

  it('a store file altered or moved to another agent does not open', async () => {
    await secrets(['set', 'team/x', 'K'], out, { env, stdin: Readable.from(['value-x']) });
    const sd = join(dir, 'secrets');
    writeFileSync(join(sd, 'team.y.secrets'), readFileSync(join(sd, 'team.x.secrets')));
    await expect(secrets(['list', 'team/y'], out, { env })).rejects.toBeInstanceOf(SecretsCorrupt);
    const f = JSON.parse(readFileSync(join(sd, 'team.x.secrets'), 'utf8'));
    const ct = Buffer.from(f.data.ct, 'base64');
    ct[0]! ^= 1;
    f.data.ct = ct.toString('base64');
    writeFileSync(join(sd, 'team.x.secrets'), JSON.stringify(f));
    await expect(secrets(['list', 'team/x'], out, { env })).rejects.toBeInstanceOf(SecretsCorrupt);
  });

  it('is a command of the CLI', async () => {
    const r = await runTroupe(['secrets', 'keygen'], {}, 150_000);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    const bad = await runTroupe(['secrets', 'list'], {
      TROUPE_SECRETS_KEY: '',
      TROUPE_SECRETS_KEY_FILE: '',
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('SecretsKeyMissing');
  }, 320_000);
});

describe('troupe nats-config and up --serve-nats', () => {
  const module = 'test/fixtures/process/team-module.ts';

  it('prints a config nats-server 2.9.10 accepts, with one least-privilege user per agent', async () => {
    const r = await runTroupe(['nats-config', module], { TROUPE_SECRETS_KEY: key }, 150_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('user: "agent:pteam:team/a"');
    expect(r.stdout).toContain('user: "agent:pteam:team/b"');
    // a declared b as a peer: a may publish to b; b may not publish to a.
    const userBlock = (p: string): string =>
      r.stdout.slice(r.stdout.indexOf(`agent:pteam:${p}`)).split('} }')[0]!;
    expect(userBlock('team/a')).toContain('"troupe.pteam.a.team.b"');
    expect(userBlock('team/b')).not.toContain('"troupe.pteam.a.team.a"');
    const file = join(dir, 'nats.conf');
    writeFileSync(file, r.stdout, { mode: 0o600 });
    execFileSync(findNatsServer(), ['-t', '-c', file], { stdio: 'pipe' });
  }, 320_000);

  it('up --serve-nats runs the module on its own nats-server with agents as processes', async () => {
    const r = await runTroupe(
      ['up', module, '--serve-nats', '--once'],
      {
        TROUPE_SECRETS_KEY: key,
        TROUPE_WORKSPACES: join(dir, 'ws'),
        TROUPE_AGENT_LOGS: join(dir, 'logs'),
      },
      240_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const m = /agent team\/a pid (\d+) cwd (\S+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(m![2]).toBe(join(dir, 'ws', 'team', 'a'));
    expect(readdirSync(join(dir, 'logs')).sort()).toEqual(['team.a.log', 'team.b.log']);
  }, 300_000);

  it('agents do not outlive their supervisor: kill -9 of troupe up ends them', async () => {
    const p = spawn(process.execPath, ['bin/troupe.js', 'up', module, '--serve-nats'], {
      env: {
        ...process.env,
        TROUPE_LOG_LEVEL: 'silent',
        TROUPE_SECRETS_KEY: key,
        TROUPE_WORKSPACES: join(dir, 'ws2'),
        TROUPE_AGENT_LOGS: join(dir, 'logs2'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    p.stdout.on('data', (d) => {
      stdout += String(d);
    });
    const gone = new Promise((r) => p.once('exit', r));
    const agent = await until(() => {
      const m = /agent team\/a pid (\d+)/.exec(stdout);
      return m ? Number(m[1]) : undefined;
    }, 240_000);
    expect(procAlive(agent)).toBe(true);
    process.kill(-p.pid!, 'SIGKILL'); // troupe up and its nats-server, not the agents
    await gone;
    await until(() => (procAlive(agent) ? undefined : true), 30_000);
    expect(procAlive(agent)).toBe(false);
  }, 320_000);
});
