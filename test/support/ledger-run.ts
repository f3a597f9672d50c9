import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { z } from 'zod';
import {
  decodeAuditBatch,
  type LedgerKeys,
  LedgerProofError,
  ledgerKeysFromSeeds,
  readLedgerEntry,
  type StoredEntry,
  startAuditLedger,
} from '../../actors/ledger/index.ts';
import { type ActorSystem, defineActor } from '../../runtime/index.ts';

import { type Run, runTroupe } from './troupe-cli.ts';

export { type Run, runTroupe };

/** A temp folder for one test file's ledgers, removed after all its tests (afterAll). */
export function useLedgerBase(prefix: string): string {
  const base = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  return base;
}

/** Fixed keys for `origin`: every byte of the two seeds is `seed` and `seed + 1`. */
export function seededLedgerKeys(origin: string, seed: number): LedgerKeys {
  return ledgerKeysFromSeeds(
    origin,
    new Uint8Array(32).fill(seed),
    new Uint8Array(32).fill(seed + 1),
  );
}

/** Bytes from base64 (proof fields cross the wire and the CLI as base64). */
export const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

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

/** The audit ledger of `sys`, cosigned by the actor named 'witness', and an Emitter 'agent'. */
export async function startWitnessedLedger(
  sys: ActorSystem,
  options: { dir: string; origin: string; keys: LedgerKeys },
) {
  const ledger = await startAuditLedger(sys, { ...options, witnesses: ['witness'] });
  const agent = sys.spawn(Emitter, { name: 'agent' });
  return { ledger, agent };
}

/** `troupe ledger verify <dir>` with the witness's vkeys held out of band. */
export function verifyWithWitnessKeys(dir: string, vkeys: readonly string[]): Promise<Run> {
  return runTroupe(['ledger', 'verify', dir, ...vkeys.flatMap((v) => ['--witness-vkey', v])]);
}
