import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { a2aAgent } from '../../actors/interop/index.ts';
import { spawnTs, stopChild } from '../support/processes.ts';
import { runTroupe } from '../support/troupe-cli.ts';

const children: Awaited<ReturnType<typeof spawnTs>>[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => stopChild(c)));
});

const TOKEN = 'cli-token-0123456789abcdef';

describe('troupe serve', () => {
  it('serves a module as an A2A agent, behind the token from the environment', async () => {
    const c = await spawnTs(
      'bin/troupe.js',
      ['serve', 'a2a', 'test/fixtures/interop-agent.ts', '--port', '0'],
      {
        ready: /troupe serve a2a: .* at (http:\S+)/,
        readyTimeoutMs: 60_000,
        env: { TROUPE_A2A_TOKENS: TOKEN, TROUPE_LOG_LEVEL: 'silent' },
      },
    );
    children.push(c);
    const url = /at (http:\S+)/.exec(c.output())![1]!;
    expect((await a2aAgent(url).card()).name).toBe('stand-in');
    expect(await a2aAgent(url, { token: TOKEN }).run('from the cli')).toBe('echo: from the cli');
    await expect(a2aAgent(url).run('no token')).rejects.toThrow();
    await stopChild(c);
    expect(c.exitCode).toBe(0);
  }, 90_000);

  it('serves a module as MCP tools over Streamable HTTP', async () => {
    const c = await spawnTs(
      'bin/troupe.js',
      ['serve', 'mcp', 'test/fixtures/interop-agent.ts', '--port', '0'],
      {
        ready: /troupe serve mcp: (http:\S+)/,
        readyTimeoutMs: 60_000,
        env: { TROUPE_LOG_LEVEL: 'silent' },
      },
    );
    children.push(c);
    const url = /troupe serve mcp: (http:\S+)/.exec(c.output())![1]!;
    const client = new Client({ name: 'cli-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const r = await client.callTool({ name: 'stand-in_add', arguments: { a: 1, b: 2 } });
    expect(r.structuredContent).toEqual({ sum: 3 });
    await client.close();
  }, 90_000);

  it('refuses what it cannot serve, with a clear message', async () => {
    const noNats = await runTroupe(['serve', 'a2a', 'team/agent']);
    expect(noNats.code).not.toBe(0);
    expect(noNats.stderr).toMatch(/needs --nats/);
    const missing = await runTroupe(['serve', 'mcp', 'nope/missing.ts', '--stdio']);
    expect(missing.stderr).toMatch(/not found/);
    const usage = await runTroupe(['serve', 'grpc', 'x.ts']);
    expect(usage.code).toBe(2);
    const badPort = await runTroupe([
      'serve',
      'a2a',
      'test/fixtures/interop-agent.ts',
      '--port',
      '99999',
    ]);
    expect(badPort.stderr).toMatch(/--port/);
  }, 120_000);
});
