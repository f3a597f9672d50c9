import { z } from 'zod';
import { InvalidArgument } from '../../runtime/index.ts';

export const ApprovalId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 of A-Z a-z 0-9 _ -');
export const Verdict = z.enum(['approve', 'reject']);
export const Status = z.enum(['pending', 'approved', 'rejected', 'expired']);
export type ApprovalStatus = z.infer<typeof Status>;

export const Vote = z
  .object({
    by: z.string().min(1).max(128),
    verdict: Verdict,
    note: z.string().max(2000).optional(),
    at: z.number(),
  })
  .strict();
export type Vote = z.infer<typeof Vote>;

/** What asks for a human's approval: what is to be done, why, and who must agree. */
export const ApprovalRequest = z
  .object({
    /** Give one to make the request idempotent: asking again with it re-attaches to it. */
    id: ApprovalId.optional(),
    action: z.string().min(1).max(200),
    /** The context summary a human reads before deciding. */
    summary: z.string().max(20_000).default(''),
    /** Who may vote; any name when absent. */
    approvers: z.array(z.string().min(1).max(128)).max(100).optional(),
    /** Approvals needed (n of m); default 1. */
    quorum: z.number().int().min(1).max(100).default(1),
    /** How long the request waits for a decision (default 1 h). */
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(30 * 24 * 3600_000)
      .default(3600_000),
    /** When the wait runs out: escalate once to these approvers with a fresh wait, then expire. */
    escalateTo: z.array(z.string().min(1).max(128)).max(100).optional(),
  })
  .strict();
export type ApprovalRequest = z.input<typeof ApprovalRequest>;

export const ApprovalRecord = z
  .object({
    id: ApprovalId,
    action: z.string(),
    summary: z.string(),
    requestedBy: z.string(),
    approvers: z.array(z.string()).nullable(),
    quorum: z.number().int().min(1),
    timeoutMs: z.number().int().positive(),
    escalateTo: z.array(z.string()).nullable(),
    escalated: z.boolean(),
    status: Status,
    votes: z.array(Vote),
    createdAt: z.number(),
    /** When the current wait ends (epoch ms): the gate's own timer, since KV key TTL is not there on 2.9. */
    expiresAt: z.number(),
    decidedAt: z.number().nullable(),
  })
  .strict();
export type ApprovalRecord = z.infer<typeof ApprovalRecord>;

/** What the asker hears once the request is decided. */
export const Decision = z.object({
  id: ApprovalId,
  status: z.enum(['approved', 'rejected', 'expired']),
  votes: z.array(Vote),
});
export type Decision = z.infer<typeof Decision>;

export function newRecord(
  req: z.output<typeof ApprovalRequest>,
  id: string,
  by: string,
  now: number,
): ApprovalRecord {
  const m = req.approvers?.length;
  if (m !== undefined && req.quorum > m) {
    throw new InvalidArgument(`approval quorum ${req.quorum} is more than the ${m} approvers`);
  }
  return {
    id,
    action: req.action,
    summary: req.summary,
    requestedBy: by,
    approvers: req.approvers ?? null,
    quorum: req.quorum,
    timeoutMs: req.timeoutMs,
    escalateTo: req.escalateTo ?? null,
    escalated: false,
    status: 'pending',
    votes: [],
    createdAt: now,
    expiresAt: now + req.timeoutMs,
    decidedAt: null,
  };
}

/** Who may vote now: the approvers, plus the escalation list once escalated; null = anyone. */
export function eligible(r: ApprovalRecord): string[] | null {
  if (r.approvers === null) return r.escalated && r.escalateTo !== null ? [...r.escalateTo] : null;
  return r.escalated && r.escalateTo !== null
    ? [...r.approvers, ...r.escalateTo]
    : [...r.approvers];
}

/** An approver not allowed to vote on this request. */
export class NotAnApproverError extends InvalidArgument {}
/** The request is already decided; its votes are closed. */
export class AlreadyDecidedError extends InvalidArgument {}

/**
 * Count a vote (one per voter, the latest counts): approved at `quorum` approvals; rejected
 * once the quorum can no longer be reached (with an open list, at the first rejection).
 */
export function applyVote(r: ApprovalRecord, v: Vote): ApprovalRecord {
  if (r.status !== 'pending')
    throw new AlreadyDecidedError(`approval ${r.id} is already ${r.status}`);
  const who = eligible(r);
  if (who !== null && !who.includes(v.by)) {
    throw new NotAnApproverError(
      `${v.by} is not an approver of ${r.id} (approvers: ${who.join(', ')})`,
    );
  }
  const votes = [...r.votes.filter((x) => x.by !== v.by), v];
  const yes = votes.filter((x) => x.verdict === 'approve').length;
  const no = votes.filter((x) => x.verdict === 'reject').length;
  let status: ApprovalStatus = 'pending';
  if (yes >= r.quorum) status = 'approved';
  else if (who === null ? no > 0 : who.length - no < r.quorum) status = 'rejected';
  return { ...r, votes, status, decidedAt: status === 'pending' ? null : v.at };
}

/** The wait ran out: escalate once (a fresh wait, more approvers), else expire. */
export function timeOut(r: ApprovalRecord, now: number): ApprovalRecord {
  if (r.status !== 'pending' || now < r.expiresAt) return r;
  if (r.escalateTo !== null && !r.escalated) {
    return { ...r, escalated: true, expiresAt: now + r.timeoutMs };
  }
  return { ...r, status: 'expired', decidedAt: now };
}
