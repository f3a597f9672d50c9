import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  decodeAuditBatch,
  LedgerProofError,
  readLedgerEntry,
  type StoredEntry,
} from '../../actors/ledger/index.ts';
import { defineActor } from '../../runtime/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'bin/troupe.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the troupe CLI in its own process. */
export function runTroupe(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<Run> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, TROUPE_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += String(d);
    });
    p.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      rej(new Error(`troupe ${args.join(' ')} timed out:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
}

/** Every committed entry of a ledger directory (read beside a live writer too). */
export function entriesOf(dir: string): StoredEntry[] {
  const out: StoredEntry[] = [];
  for (;;) {
    try {
      out.push(readLedgerEntry(dir, out.length));
    } catch (err) {
      if (err instanceof LedgerProofError) return out;
      throw err;
    }
  }
}

/** The audit event ids a ledger holds, in order (batches decoded). */
export function eventIdsOf(entries: readonly StoredEntry[]): string[] {
  return entries.flatMap((e) =>
    e.leaf.type === 'event' && e.payload.status === 'present'
      ? decodeAuditBatch(e.payload.payload).map((x) => x.id)
      : [],
  );
}

/** An agent that records `n` audit events per `emit` message. */
export const Emitter = defineActor({
  type: 'emitter',
  state: () => ({ sent: 0 }),
  tells: {
    emit: z.object({ n: z.number().int().positive(), kind: z.string().optional() }).strict(),
  },
  asks: { sent: { request: z.object({}).strict(), reply: z.number() } },
  handle: {
    emit(s, m, ctx) {
      for (let i = 0; i < m.n; i++)
        ctx.audit(m.kind ?? 'tool.call', { step: s.sent + i, tool: 'grep' });
      return { sent: s.sent + m.n };
    },
    sent: (s, _m, ctx) => ctx.reply(s.sent),
  },
});
