import { randomBytes } from 'node:crypto';
import { InvalidArgument } from '../../runtime/index.ts';
import { type Board, modify } from '../board/index.ts';
import { ApprovalRecord, applyVote, type Vote } from './record.ts';

const PREFIX = 'approvals.';

/** The KV bucket a system's approvals live in on NATS. */
export function approvalsBucket(system: string): string {
  return `TROUPE_APPROVALS_${system}`;
}

export function newApprovalId(): string {
  return randomBytes(6).toString('hex');
}

/** Approval records on a board: one key each, changed only by compare-and-set. */
export class ApprovalStore {
  constructor(readonly board: Board) {}

  key(id: string): string {
    return `${PREFIX}${id}`;
  }

  /** The id a board key names, or null for keys that are not approvals. */
  idOf(key: string): string | null {
    return key.startsWith(PREFIX) ? key.slice(PREFIX.length) : null;
  }

  async get(id: string): Promise<ApprovalRecord | null> {
    const e = await this.board.get(this.key(id));
    if (e === null) return null;
    const r = ApprovalRecord.safeParse(e.value);
    return r.success ? r.data : null;
  }

  async list(): Promise<ApprovalRecord[]> {
    const out: ApprovalRecord[] = [];
    for (const e of await this.board.list(PREFIX)) {
      const r = ApprovalRecord.safeParse(e.value);
      if (r.success) out.push(r.data);
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Create the record, or return the one already there under its id. */
  async open(rec: ApprovalRecord): Promise<ApprovalRecord> {
    const e = await modify<unknown>(this.board, this.key(rec.id), (cur) =>
      cur === null ? rec : undefined,
    );
    const r = ApprovalRecord.safeParse(e?.value);
    if (!r.success)
      throw new InvalidArgument(`approval ${rec.id} exists but is not an approval record`);
    return r.data;
  }

  /** Change a record by CAS, retried on conflict; `f` returns the record unchanged to leave it. */
  async change(id: string, f: (r: ApprovalRecord) => ApprovalRecord): Promise<ApprovalRecord> {
    let out: ApprovalRecord | null = null;
    await modify<unknown>(this.board, this.key(id), (cur) => {
      const r = ApprovalRecord.safeParse(cur);
      if (!r.success) throw new InvalidArgument(`no approval ${id}`);
      const next = f(r.data);
      out = next;
      return next === r.data ? undefined : next;
    });
    return out!;
  }

  vote(id: string, vote: Vote): Promise<ApprovalRecord> {
    return this.change(id, (r) => applyVote(r, vote));
  }
}
