import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { eventually, spawnTs } from '../support/processes.ts';
import { runTroupe } from '../support/troupe-cli.ts';

// A pending approval outlives kill -9 of the process holding it: the next process on the same
// board re-attaches to it, and a human's `troupe approve` (a real CLI process) answers it.
let server: NatsServer;
const dirs: string[] = [];

beforeAll(async () => {
  server = await startNatsServer();
}, 60_000);
afterAll(async () => {
  await stopAllNatsServers();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function survive(
  where: string,
  cli: string[],
  env: NodeJS.ProcessEnv,
  failurePaths: boolean,
): Promise<void> {
  const id = `deploy-${Math.random().toString(36).slice(2, 8)}`;
  const first = await spawnTs('test/support/approval-holder.ts', [where, 'approvals', id], {
    ready: /pending/,
    readyTimeoutMs: 60_000,
  });
  const gone = new Promise((r) => first.once('exit', r));
  first.kill('SIGKILL');
  await gone;
  const listed = await runTroupe(['approvals', ...cli], env);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain(id);
  expect(listed.stdout).toContain('deploy v2 to production');
  const second = await spawnTs('test/support/approval-holder.ts', [where, 'approvals', id], {
    ready: /pending/,
    readyTimeoutMs: 60_000,
  });
  if (failurePaths) {
    const bad = await runTroupe(['approve', 'no-such-id', ...cli], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('no approval no-such-id');
  }
  const voted = await runTroupe(['approve', id, '--by', 'alice', ...cli], env);
  expect(voted.stderr).toBe('');
  expect(voted.stdout).toContain(`approved by alice: ${id}`);
  await eventually(async () => {
    if (!second.output().includes('decided')) throw new Error(second.output());
  }, 30_000);
  expect(second.output()).toContain('decided approved by alice');
  if (!failurePaths) return;
  const after = await runTroupe(['approvals', ...cli], env);
  expect(after.stdout).not.toContain(id);
  const again = await runTroupe(['reject', id, ...cli], env);
  expect(again.code).not.toBe(0);
  expect(again.stderr).toContain('already approved');
}

describe('a pending approval survives kill -9 of its holder', () => {
  it('embedded: file-backed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-approvals-'));
    dirs.push(dir);
    await survive(`file:${dir}`, ['--dir', dir], {}, true);
  }, 120_000);

  it('on NATS: KV-backed', async () => {
    await survive(
      `nats:${server.url},${server.user},${server.pass}`,
      ['--nats', server.url, '--system', 'approvals'],
      { TROUPE_NATS_USER: server.user, TROUPE_NATS_PASS: server.pass },
      false,
    );
  }, 120_000);
});
