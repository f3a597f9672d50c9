// `troupe up` starts telemetry and alerts from the config file's `telemetry` and `alerts` keys.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTroupe } from '../support/troupe-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'troupe-obs-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, body: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

describe('observability from the config', () => {
  it('serves /metrics on the configured port and logs alerts', async () => {
    const file = config('ok.json', {
      telemetry: { metrics: { port: 0, defaultMetrics: false } },
      alerts: { log: true },
    });
    const r = await runTroupe(['up', 'examples/counter/counter.ts', '--once', '--config', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/troupe up: metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/);
  }, 90_000);

  it('a bad alerts or telemetry section is one clear error naming the field', async () => {
    const bad = config('bad.json', {
      alerts: { telegram: { chatId: 1, botTokenEnv: 'TROUPE_TEST_UNSET_TOKEN' } },
    });
    const r = await runTroupe(['up', 'examples/counter/counter.ts', '--once', '--config', bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/InvalidArgumentError: alerts options: telegram\.botToken/);
    const bad2 = config('bad2.json', { telemetry: { metrics: { port: 'nine' } } });
    const r2 = await runTroupe(['up', 'examples/counter/counter.ts', '--once', '--config', bad2]);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toMatch(/InvalidArgumentError: telemetry options: metrics\.port/);
  }, 90_000);
});
