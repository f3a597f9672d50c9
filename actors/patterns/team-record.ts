import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActorSystem, AuditEvent, AuditSink } from '../../runtime/index.ts';
import { type AuditLedger, startAuditLedger } from '../ledger/index.ts';
import { type DecisionProof, proveDecision } from './decision-proof.ts';

/** A team run recorded in its own audit ledger, its progress printed as it goes. */
export interface TeamRecord {
  readonly dir: string;
  readonly ledger: AuditLedger;
  /** Sign what was recorded, verify the ledger and prove the last decision `match` picks. */
  prove(match: (e: AuditEvent) => boolean): Promise<DecisionProof>;
  close(): Promise<void>;
}

/** The events a reader follows a team by: decisions, not every model token. */
const SHOWN = /^(team|approval)\./;

function describe(e: AuditEvent): string {
  const d = { ...e.data } as Record<string, unknown>;
  delete d.pattern;
  const parts = Object.entries(d).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  return `${e.actor.padEnd(28)} ${e.kind.padEnd(20)} ${parts.join(' ')}`.slice(0, 240);
}

/** Passes every event on, and prints the decisions. */
function progressSink(inner: AuditSink, out: (line: string) => void): AuditSink {
  return {
    emit(e) {
      inner.emit(e);
      if (SHOWN.test(e.kind)) out(`  ${describe(e)}`);
    },
    flush: () => inner.flush(),
    close: () => inner.close(),
  };
}

/**
 * Give a team's system its own ledger (in `dir`, a fresh temporary folder by default) and print
 * the team's decisions as they are recorded. Start it before the team: it takes the audit sink.
 */
export async function recordTeam(
  system: ActorSystem,
  o: { name: string; dir?: string; out?: (line: string) => void },
): Promise<TeamRecord> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), `troupe-${o.name}-`));
  const ledger = await startAuditLedger(system, { dir, origin: `troupe/${system.name}/${o.name}` });
  const out = o.out;
  if (out !== undefined && ledger.sink !== undefined)
    system.setAuditSink(progressSink(ledger.sink, out));
  let closed = false;
  return {
    dir,
    ledger,
    async prove(match) {
      await ledger.settle({ checkpoint: true, timeoutMs: 60_000 });
      return proveDecision(dir, match);
    },
    async close() {
      if (closed) return;
      closed = true;
      await ledger.close();
    },
  };
}
