import { z } from 'zod';
import {
  decodeAuditBatch,
  LedgerProofError,
  readLedgerEntry,
  type StoredEntry,
} from '../../actors/ledger/index.ts';
import { defineActor } from '../../runtime/index.ts';

export { type Run, runTroupe } from './troupe-cli.ts';

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
