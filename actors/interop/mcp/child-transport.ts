import { type ChildProcess, spawn } from 'node:child_process';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { TransportError } from '../../../runtime/index.ts';

export interface StdioCommand {
  readonly command: string;
  readonly args?: readonly string[];
  /** Added to a minimal environment (PATH, HOME); the parent's secrets are not inherited. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** Process groups of MCP servers still alive in this process, killed if it exits. */
const live = new Set<number>();
let hooked = false;
function track(pid: number): void {
  live.add(pid);
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const g of live) killGroup(g, 'SIGKILL');
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

const BASE_ENV = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SYSTEMROOT', 'NODE_OPTIONS'];

/**
 * MCP over a child's stdin and stdout, the child in its own process group (a detached
 * spawn) so that closing kills it and everything it started: SIGTERM to the group, then
 * SIGKILL after `graceMs`. The MCP SDK's stdio transport kills only the direct child, which
 * leaks grandchildren (modelcontextprotocol/typescript-sdk#2002).
 */
export class StdioChildTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private child: ChildProcess | null = null;
  private readonly buf = new ReadBuffer();
  private exited: Promise<void> = Promise.resolve();
  stderrTail = '';

  constructor(
    private readonly cmd: StdioCommand,
    private readonly graceMs = 2_000,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.child) throw new TransportError('stdio transport already started');
    const env: Record<string, string> = {};
    for (const k of BASE_ENV) if (process.env[k] !== undefined) env[k] = process.env[k]!;
    const child = spawn(this.cmd.command, [...(this.cmd.args ?? [])], {
      cwd: this.cmd.cwd,
      env: { ...env, ...this.cmd.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.exited = new Promise((res) => child.once('exit', () => res()));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) =>
        reject(
          new TransportError(`cannot start ${this.cmd.command}: ${err.message}`, { cause: err }),
        ),
      );
    });
    track(child.pid!);
    child.on('error', (err) => this.onerror?.(err));
    child.once('exit', () => {
      live.delete(child.pid!);
      this.onclose?.();
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      this.buf.append(chunk);
      for (;;) {
        let msg: JSONRPCMessage | null;
        try {
          msg = this.buf.readMessage();
        } catch (err) {
          this.onerror?.(err as Error);
          continue;
        }
        if (msg === null) break;
        this.onmessage?.(msg);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4096);
    });
    child.stdin!.on('error', (err) => this.onerror?.(err));
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed) throw new TransportError('MCP server process is not running');
    await new Promise<void>((resolve, reject) => {
      stdin.write(serializeMessage(message), (err) => (err ? reject(err) : resolve()));
    });
  }

  /** End the server: close stdin, SIGTERM the group, SIGKILL it after the grace period. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    const pid = child.pid;
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), this.graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // The leader may be gone while others in its group live on.
    killGroup(pid, 'SIGKILL');
    live.delete(pid);
  }
}
