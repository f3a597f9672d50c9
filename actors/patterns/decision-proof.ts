import { verifyInclusion } from '../../protocols/merkle/index.ts';
import { type AuditEvent, TroupeError } from '../../runtime/index.ts';
import {
  decodeAuditBatch,
  LedgerProofError,
  proveInclusion,
  readLedgerEntry,
  verifyLedger,
} from '../ledger/index.ts';

/** What a team run's ledger proves about one decision. */
export interface DecisionProof {
  /** The decision as recorded. */
  readonly event: AuditEvent;
  /** The ledger entry holding it (a batch of events), its leaf hash and audit path. */
  readonly index: number;
  readonly leafHash: string;
  readonly auditPath: number;
  /** The signed tree it is included in. */
  readonly size: number;
  readonly root: string;
  readonly origin: string;
  readonly checkpoints: number;
}

/** The ledger does not verify, or holds no such decision, or cannot prove it. */
export class DecisionProofError extends TroupeError {
  readonly code = 'DecisionProof';
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/**
 * Verify a ledger (hash chain, Merkle tree, signed checkpoints), find the last audit event that
 * `match` picks, and prove its entry is included in the signed tree: what `troupe ledger verify`
 * and `troupe ledger prove` check, for one decision.
 */
export async function proveDecision(
  dir: string,
  match: (e: AuditEvent) => boolean,
): Promise<DecisionProof> {
  const report = await verifyLedger(dir);
  if (!report.ok) {
    throw new DecisionProofError(`ledger ${dir} does not verify: ${report.file}: ${report.reason}`);
  }
  if (report.signedSize < report.size || report.size === 0) {
    throw new DecisionProofError(
      `ledger ${dir}: ${report.size - report.signedSize} entries not yet signed`,
    );
  }
  let found: { event: AuditEvent; index: number } | null = null;
  for (let i = 0; i < report.size; i++) {
    let entry: ReturnType<typeof readLedgerEntry>;
    try {
      entry = readLedgerEntry(dir, i);
    } catch (err) {
      if (err instanceof LedgerProofError) break;
      throw err;
    }
    if (entry.leaf.type !== 'event' || entry.payload.status !== 'present') continue;
    for (const e of decodeAuditBatch(entry.payload.payload))
      if (match(e)) found = { event: e, index: i };
  }
  if (found === null) throw new DecisionProofError(`ledger ${dir} holds no such decision`);
  const p = proveInclusion(dir, found.index);
  try {
    verifyInclusion(p.leafHash, found.index, p.size, p.proof, p.root);
  } catch (cause) {
    throw new DecisionProofError(`entry ${found.index} is not proved by the tree`, { cause });
  }
  if (p.size !== report.size || !Buffer.from(p.root).equals(Buffer.from(report.root))) {
    throw new DecisionProofError('the proof is not against the verified, signed tree');
  }
  return {
    event: found.event,
    index: found.index,
    leafHash: b64(p.leafHash),
    auditPath: p.proof.length,
    size: p.size,
    root: b64(p.root),
    origin: report.origin,
    checkpoints: report.checkpoints,
  };
}
