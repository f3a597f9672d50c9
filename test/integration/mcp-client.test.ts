import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToolContext } from '../../actors/agents/tool.ts';
import {
  McpConnection,
  type McpConnectionRef,
  McpToolError,
  mcpServerChild,
  mcpTools,
} from '../../actors/interop/index.ts';
import { ActorSystem, defineSupervisor, MemoryAuditSink } from '../../runtime/index.ts';
import { startSdkMcpHttp } from '../support/mcp-peer.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = resolve(ROOT, 'test/fixtures/mcp-stdio-server.ts');
const systems: ActorSystem[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown({ timeoutMs: 5000 })));
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function start(audit = new MemoryAuditSink()): Promise<ActorSystem> {
  const s = await ActorSystem.start({ name: 'mcpc', logLevel: 'silent', audit });
  systems.push(s);
  return s;
}

function toolCtx(): ToolContext {
  return {
    signal: new AbortController().signal,
    deadline: Date.now() + 20_000,
    agent: 'test',
    callId: 'c1',
  };
}

/** Processes whose command line carries the marker (the server and its grandchild). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // A zombie waiting for its parent is dead already.
      if (cmd.includes(marker) && !/^\d+ \(.*\) Z/.test(stat)) pids.push(Number(d));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

async function until<T>(f: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (let i = 0; Date.now() < end && i < 10_000; i++) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until `count` processes carry the marker. */
async function untilProcesses(marker: string, count: number, what: string): Promise<void> {
  await until(async () => (processesWith(marker).length === count ? true : undefined), what);
}

/** Waits until the connection reports a server pid other than `first`; that pid. */
function untilReplaced(sys: ActorSystem, ref: McpConnectionRef, first: number, what: string) {
  return until(async () => {
    const p = await sys.ask(ref, 'pid', {}, { timeout: 5000 });
    return p !== null && p !== first ? p : undefined;
  }, what);
}

/** A supervisor `tools` over one stdio server, `tools/peer`, started. */
async function supervisedPeer(
  sys: ActorSystem,
  spec: ReturnType<typeof stdioSpec>,
  backoff?: { initialMs: number; maxMs: number },
) {
  const Sup = defineSupervisor({
    type: 'tools',
    strategy: 'one_for_one',
    intensity: 5,
    period: 30,
    ...(backoff ? { backoff } : {}),
    children: [mcpServerChild(spec, { id: 'peer' })],
  });
  const sup = sys.spawn(Sup, { name: 'tools' });
  await sys.allStarted();
  return { sup, ref: { system: sys.name, path: 'tools/peer' } as McpConnectionRef };
}

function stdioSpec(marker: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'peer',
    stdio: {
      command: process.execPath,
      args: ['--import', 'tsx', FIXTURE, '--grandchild', marker],
      cwd: ROOT,
    },
    pingMs: 200,
    pingTimeoutMs: 2_000,
    graceMs: 500,
    ...extra,
  };
}

describe('troupe MCP client against @modelcontextprotocol/sdk servers', () => {
  it('uses the tools of an SDK server over Streamable HTTP', async () => {
    const peer = await startSdkMcpHttp();
    cleanups.push(peer.close);
    const sys = await start();
    const ref = sys.spawn(McpConnection, {
      name: 'http-peer',
      args: { name: 'http-peer', url: peer.url },
    });
    await sys.started(ref);
    const tools = await mcpTools(sys, ref as McpConnectionRef, { prefix: 'peer' });
    expect(tools.map((t) => t.name)).toEqual(['peer_echo', 'peer_add', 'peer_pid', 'peer_broken']);
    const echo = tools[0]!;
    expect(echo.input.safeParse({ text: 'hi' }).success).toBe(true);
    expect(echo.input.safeParse({ text: 3 }).success).toBe(false);
    expect(await echo.run({ text: 'hi' }, toolCtx())).toEqual({ text: 'hi' });
    expect(await tools[1]!.run({ a: 2, b: 3 }, toolCtx())).toBe('5');
    await expect(tools[3]!.run({}, toolCtx())).rejects.toBeInstanceOf(McpToolError);
  });

  it('uses the tools of an SDK server over stdio, with every call audited', async () => {
    const audit = new MemoryAuditSink();
    const sys = await start(audit);
    const marker = `mcp-marker-${process.pid}-a`;
    const ref = sys.spawn(McpConnection, { name: 'stdio-peer', args: stdioSpec(marker) });
    await sys.started(ref);
    const tools = await mcpTools(sys, ref as McpConnectionRef, { only: ['echo', 'broken'] });
    expect(tools.map((t) => t.name)).toEqual(['echo', 'broken']);
    expect(await tools[0]!.run({ text: 'over stdio' }, toolCtx())).toEqual({ text: 'over stdio' });
    await expect(tools[1]!.run({}, toolCtx())).rejects.toThrow(/broken on purpose/);
    const kinds = audit.events.filter((e) => e.actor === 'stdio-peer').map((e) => e.kind);
    expect(kinds).toEqual(['mcp.started', 'tool.call', 'tool.call']);
    const calls = audit.events
      .filter((e) => e.kind === 'tool.call')
      .map((e) => [e.data.tool, e.data.ok]);
    expect(calls).toEqual([
      ['echo', true],
      ['broken', false],
    ]);
    await sys.stop(ref);
    expect(audit.events.at(-1)?.kind).toBe('mcp.stopped');
    await untilProcesses(marker, 0, 'no process left');
  });

  it('restarts a supervised stdio server killed with kill -9; stopping leaves no process', async () => {
    const audit = new MemoryAuditSink();
    const sys = await start(audit);
    const marker = `mcp-marker-${process.pid}-b`;
    const { sup, ref } = await supervisedPeer(sys, stdioSpec(marker), {
      initialMs: 50,
      maxMs: 500,
    });
    const tools = await mcpTools(sys, ref);
    const pidTool = tools.find((t) => t.name === 'pid')!;
    const first = Number(await pidTool.run({}, toolCtx()));
    expect(await sys.ask(ref, 'pid', {}, { timeout: 5000 })).toBe(first);
    // Both the server and its grandchild run.
    await untilProcesses(marker, 2, 'server and grandchild');

    process.kill(first, 'SIGKILL');
    const second = await untilReplaced(sys, ref, first, 'a restarted server');
    expect(Number(await pidTool.run({}, toolCtx()))).toBe(second);
    expect(await tools.find((t) => t.name === 'echo')!.run({ text: 'again' }, toolCtx())).toEqual({
      text: 'again',
    });
    const kinds = audit.events.filter((e) => e.actor === 'tools/peer').map((e) => e.kind);
    expect(kinds.filter((k) => k === 'mcp.started')).toHaveLength(2);
    expect(kinds).toContain('mcp.crashed');
    // The old group is gone: only the new server and its grandchild remain.
    await untilProcesses(marker, 2, 'old group killed');

    await sys.stop(sup);
    await untilProcesses(marker, 0, 'no MCP process left');
  }, 90_000);

  it('replaces a hung server that fails its ping', async () => {
    const sys = await start();
    const marker = `mcp-marker-${process.pid}-c`;
    const { sup, ref } = await supervisedPeer(sys, stdioSpec(marker, { pingTimeoutMs: 300 }));
    const first = await until(
      async () => (await sys.ask(ref, 'pid', {}, { timeout: 5000 })) ?? undefined,
      'pid',
    );
    process.kill(first, 'SIGSTOP');
    const second = await untilReplaced(sys, ref, first, 'a replaced server');
    expect(second).not.toBe(first);
    const tools = await mcpTools(sys, ref);
    expect(await tools.find((t) => t.name === 'echo')!.run({ text: 'ok' }, toolCtx())).toEqual({
      text: 'ok',
    });
    await sys.stop(sup);
    await untilProcesses(marker, 0, 'no MCP process left');
  }, 90_000);

  it('refuses a bad server spec, and a server that cannot start', async () => {
    const audit = new MemoryAuditSink();
    const sys = await start(audit);
    const ref = sys.spawn(McpConnection, {
      name: 'missing',
      args: { name: 'missing', stdio: { command: '/nonexistent/mcp-server' } },
    });
    await expect(sys.started(ref)).rejects.toThrow(/did not start|cannot start/);
    expect(audit.events.some((e) => e.kind === 'mcp.started')).toBe(false);
    expect(() => McpConnection.state({ name: 'x' } as never)).toThrow(
      /exactly one of stdio or url/,
    );
    expect(() =>
      McpConnection.state({ name: 'bad name!', url: 'http://127.0.0.1:1/' } as never),
    ).toThrow(/name/);
    await expect(
      mcpTools(sys, { system: sys.name, path: 'nobody' } as McpConnectionRef),
    ).rejects.toThrow(/no actor/);
    await expect(
      mcpTools(sys, { system: sys.name, path: 'x' } as McpConnectionRef, { prefix: 'a b' }),
    ).rejects.toThrow(/prefix/);
  });
});
