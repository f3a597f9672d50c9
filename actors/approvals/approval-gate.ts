import { z } from 'zod';
import {
  type ActorContext,
  type ActorDef,
  defineActor,
  InvalidArgument,
  type ReplyHandle,
} from '../../runtime/index.ts';
import type { Board } from '../board/index.ts';
import { ApprovalStore, newApprovalId } from './approval-store.ts';
import {
  ApprovalId,
  ApprovalRecord,
  ApprovalRequest,
  type Decision,
  Decision as DecisionSchema,
  newRecord,
  timeOut,
  Verdict,
} from './record.ts';

/** setTimeout's ceiling; a longer wait is re-armed when it fires. */
const MAX_TIMER_MS = 2_147_483_647;

export const GateAsks = {
  /** Hold until the request is decided; asking again with the same id re-attaches to it. */
  request: { request: ApprovalRequest, reply: DecisionSchema },
  /** Record a human's vote (the CLI writes the same record on the board directly). */
  vote: {
    request: z
      .object({
        id: ApprovalId,
        by: z.string().min(1).max(128),
        verdict: Verdict,
        note: z.string().max(2000).optional(),
      })
      .strict(),
    reply: ApprovalRecord,
  },
  list: { request: z.object({}).strict(), reply: z.array(ApprovalRecord) },
};

const GateTells = {
  changed: z.object({ id: ApprovalId }),
  expire: z.object({ id: ApprovalId }),
};

interface GateState {
  store: ApprovalStore;
  waiting: Map<string, ReplyHandle<Decision>[]>;
  unwatch: (() => void) | null;
}

function arm(ctx: ActorContext, r: ApprovalRecord): void {
  if (r.status !== 'pending') return;
  ctx.timers.once(
    `expire-${r.id}`,
    Math.min(MAX_TIMER_MS, Math.max(0, r.expiresAt - Date.now())),
    'expire',
    { id: r.id },
  );
}

/** Answer everyone waiting on a decided request, once; record the decision. */
function settle(s: GateState, ctx: ActorContext, r: ApprovalRecord): void {
  if (r.status === 'pending') return;
  ctx.timers.cancel(`expire-${r.id}`);
  const handles = s.waiting.get(r.id);
  if (handles === undefined) return;
  s.waiting.delete(r.id);
  ctx.audit('approval.decided', {
    id: r.id,
    action: r.action,
    status: r.status,
    votes: r.votes.map((v) => ({ by: v.by, verdict: v.verdict })),
  });
  const d: Decision = { id: r.id, status: r.status, votes: r.votes };
  for (const h of handles) h.reply(d);
}

export interface ApprovalGateOptions {
  /** Where requests live: natsBoard (KV) on NATS, fileBoard embedded; survives a restart. */
  readonly board: Board;
  readonly type?: string;
}

export type ApprovalGateDef = ActorDef<GateState, void, typeof GateTells, typeof GateAsks>;

/**
 * A human approval gate: holds each request until enough approvers agree (n of m), someone
 * rejects it past hope of a quorum, or its wait runs out (escalating once if asked to). The
 * requests are records on a board, so a pending approval outlives the process holding it: the
 * next gate on the same board re-arms its timers, and a requester that asks again with the same
 * id is answered when a human decides (`troupe approve <id>`).
 */
export function approvalGate(o: ApprovalGateOptions): ApprovalGateDef {
  if (typeof o?.board?.update !== 'function')
    throw new InvalidArgument('approvalGate needs { board }');
  const board = o.board;
  return defineActor({
    type: o.type ?? 'approval-gate',
    tells: GateTells,
    asks: GateAsks,
    state: (): GateState => ({
      store: new ApprovalStore(board),
      waiting: new Map(),
      unwatch: null,
    }),
    async onStart(s, ctx) {
      const self = ctx.self;
      s.unwatch = await board.watch('approvals.', (c) => {
        const id = s.store.idOf(c.key);
        if (id !== null && ApprovalId.safeParse(id).success) ctx.tell(self, 'changed', { id });
      });
      // Requests left pending by a previous process: their waits resume here.
      for (const r of await s.store.list()) arm(ctx, r);
    },
    onStop(s) {
      s.unwatch?.();
    },
    handle: {
      async request(s, m, ctx) {
        // Errors answer the asker; they never crash the gate (its waiting requesters would go).
        const h = ctx.deferReply();
        try {
          const id = m.id ?? newApprovalId();
          const fresh = newRecord(m, id, ctx.sender?.path ?? 'outside', Date.now());
          const r = await s.store.open(fresh);
          if (r.createdAt === fresh.createdAt && r.requestedBy === fresh.requestedBy) {
            ctx.audit('approval.requested', {
              id,
              action: r.action,
              quorum: r.quorum,
              approvers: r.approvers,
            });
          }
          s.waiting.set(id, [...(s.waiting.get(id) ?? []), h]);
          if (r.status === 'pending') arm(ctx, r);
          settle(s, ctx, r);
        } catch (err) {
          h.fail(err as Error);
        }
      },
      async vote(s, m, ctx) {
        const h = ctx.deferReply();
        try {
          const r = await s.store.vote(m.id, {
            by: m.by,
            verdict: m.verdict,
            ...(m.note ? { note: m.note } : {}),
            at: Date.now(),
          });
          ctx.audit('approval.vote', { id: m.id, by: m.by, verdict: m.verdict });
          h.reply(r);
          settle(s, ctx, r);
        } catch (err) {
          h.fail(err as Error);
        }
      },
      async list(s, _m, ctx) {
        const h = ctx.deferReply();
        s.store.list().then(
          (rs) => h.reply(rs),
          (err: Error) => h.fail(err),
        );
      },
      async changed(s, m, ctx) {
        try {
          const r = await s.store.get(m.id);
          if (r === null) return;
          if (r.status === 'pending') arm(ctx, r);
          else settle(s, ctx, r);
        } catch (err) {
          // The board is unreachable: the next change or timer tries again.
          ctx.log.warn({ err, id: m.id }, 'approval board read failed');
        }
      },
      async expire(s, m, ctx) {
        const before = await s.store.get(m.id).catch(() => undefined);
        if (before === undefined) {
          ctx.timers.once(`expire-${m.id}`, 1_000, 'expire', m); // board unreachable: retry
          return;
        }
        if (before === null || before.status !== 'pending') return;
        if (Date.now() < before.expiresAt) return arm(ctx, before);
        const r = await s.store.change(m.id, (x) => timeOut(x, Date.now()));
        if (r.status === 'pending' && r.escalated && !before.escalated) {
          ctx.audit('approval.escalated', { id: r.id, to: r.escalateTo });
          ctx.log.warn({ id: r.id, to: r.escalateTo }, 'approval escalated');
          arm(ctx, r);
        }
        settle(s, ctx, r);
      },
    },
  });
}
