import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AgentDef } from '../../actors/agents/index.ts';
import {
  type ActorDef,
  ActorSystem,
  type AuditEvent,
  type AuditSink,
  InvalidArgument,
  MemoryAuditSink,
} from '../../runtime/index.ts';
import { loadConfig, type Overrides, systemOptions } from '../config.ts';
import { registerTsx } from '../tsx-loader.ts';

export interface RunOptions extends Overrides {
  module: string;
  /** JSON input of the run; text that is not JSON is passed as a string. */
  input?: string;
  timeoutMs?: number;
}

/** The agent a module exports: `export default defineAgent(…)`, or `export const agent`. */
function agentOf(mod: unknown, file: string): AgentDef {
  const m = mod as { default?: unknown; agent?: unknown };
  for (const c of [m?.default, m?.agent]) {
    const d = c as ActorDef | undefined;
    if (
      typeof d === 'object' &&
      d !== null &&
      typeof d.entries === 'object' &&
      d.entries.run?.kind === 'ask'
    ) {
      return d as unknown as AgentDef;
    }
  }
  throw new InvalidArgument(
    `${file} must export default defineAgent({ ... }) (or export const agent)`,
  );
}

const n = (v: unknown): string => (typeof v === 'number' ? String(v) : '?');
const usd = (v: unknown): string => (typeof v === 'number' ? `$${v.toFixed(6)}` : '$?');

/** One progress line per model call, tool call, retry, repair and budget stop. */
export function progressLine(e: AuditEvent): string | null {
  const d = e.data;
  const step = `step ${n(d.step)}`.padEnd(8);
  switch (e.kind) {
    case 'model.call':
      if (d.outcome !== 'ok')
        return `${step} model ${String(d.model)} failed (${String(d.outcome)}): ${String(d.error)}`;
      return `${step} model ${String(d.model)}  ${n(d.inputTokens)} in / ${n(d.outputTokens)} out tokens  ${usd(d.costUsd)}  ${n(d.latencyMs)} ms  ${
        d.toolCalls
          ? `→ ${n(d.toolCalls)} tool call${d.toolCalls === 1 ? '' : 's'}`
          : `→ ${String(d.finishReason)}`
      }`;
    case 'model.retry':
      return `${step} model retry ${n(d.attempt)} in ${n(d.delayMs)} ms (${String(d.reason)})`;
    case 'tool.call':
      return `${step} tool ${String(d.name)}  ${String(d.outcome)}  ${n(d.latencyMs)} ms${d.error ? `  ${String(d.error)}` : ''}`;
    case 'output.invalid':
      return `${step} answer does not fit the output schema (repair ${n(Number(d.repairs) + 1)}): ${String(d.error)}`;
    case 'budget.exceeded':
      return `${step} budget spent: ${String(d.reason)}`;
    default:
      return null;
  }
}

/** The usage of a run, summed from its audit events (they exist even when the run failed). */
export function usageLine(events: readonly AuditEvent[], wallMs: number): string {
  let calls = 0;
  let inT = 0;
  let outT = 0;
  let cost = 0;
  let tools = 0;
  let failed = 0;
  for (const e of events) {
    if (e.kind === 'model.call') {
      calls++;
      inT += Number(e.data.inputTokens ?? 0);
      outT += Number(e.data.outputTokens ?? 0);
      cost += Number(e.data.costUsd ?? 0);
    } else if (e.kind === 'tool.call') {
      tools++;
      if (e.data.outcome !== 'ok') failed++;
    }
  }
  const s = (k: number) => (k === 1 ? '' : 's');
  return `usage: ${calls} model call${s(calls)}, ${tools} tool call${s(tools)} (${failed} failed), ${inT} in / ${outT} out tokens, $${cost.toFixed(6)}, ${Math.round(wallMs)} ms`;
}

/** A sink that prints agent progress as events happen, and keeps them like the default sink. */
class ProgressSink implements AuditSink {
  readonly kept = new MemoryAuditSink(1000);
  constructor(private readonly out: (line: string) => void) {}
  emit(e: AuditEvent): void {
    this.kept.emit(e);
    const l = progressLine(e);
    if (l !== null) this.out(l);
  }
  flush(): Promise<void> {
    return this.kept.flush();
  }
  close(): Promise<void> {
    return this.kept.close();
  }
}

/** `troupe run <module> --input '{…}'`: run one agent once, with a line per step and the usage. */
export async function run(o: RunOptions, out: (line: string) => void): Promise<number> {
  const file = resolve(o.module);
  if (!existsSync(file)) throw new InvalidArgument(`module ${o.module} not found`);
  const timeout = o.timeoutMs ?? 120_000;
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new InvalidArgument('--timeout must be a positive number of ms');
  let input: unknown = o.input ?? '';
  if (o.input !== undefined) {
    try {
      input = JSON.parse(o.input);
    } catch {
      input = o.input;
    }
  }
  let mod: unknown;
  try {
    mod = await registerTsx().then(() => import(pathToFileURL(file).href));
  } catch (cause) {
    throw new InvalidArgument(
      `cannot load ${o.module}: ${(cause as Error).message.split('\n')[0]}`,
    );
  }
  const def = agentOf(mod, o.module);
  const cfg = await loadConfig(o);
  const sink = new ProgressSink(out);
  const system = await ActorSystem.start({ ...systemOptions(cfg), audit: sink });
  try {
    const ref = system.spawn(def, { name: def.type });
    out(
      `troupe run: agent ${def.type} on ${cfg.nats ? `NATS ${String(cfg.nats.servers)}` : 'embedded'}`,
    );
    const t0 = performance.now();
    try {
      const output = await system.ask(ref, 'run', { input } as never, { timeout });
      out(JSON.stringify(output));
    } finally {
      out(usageLine(sink.kept.events, performance.now() - t0));
    }
    return 0;
  } finally {
    await system.shutdown({ timeoutMs: 3000 });
  }
}
