import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Tool } from '../../actors/agents/tool.ts';
import {
  AlreadyDecidedError,
  ApprovalDeniedError,
  type ApprovalRecord,
  applyVote,
  approvalGate,
  NotAnApproverError,
  timeOut,
  withApproval,
} from '../../actors/approvals/index.ts';
import { type Board, memoryBoard } from '../../actors/board/index.ts';
import { type ActorRef, ActorSystem, InvalidArgument, MemoryAuditSink } from '../../index.ts';

const base = (over: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  id: 'a1',
  action: 'deploy',
  summary: '',
  requestedBy: 'team',
  approvers: ['ann', 'bob', 'cid'],
  quorum: 2,
  timeoutMs: 1000,
  escalateTo: null,
  escalated: false,
  status: 'pending',
  votes: [],
  createdAt: 0,
  expiresAt: 1000,
  decidedAt: null,
  ...over,
});
const v = (by: string, verdict: 'approve' | 'reject') => ({ by, verdict, at: 5 }) as const;

describe('approval records', () => {
  it('2 of 3: approved at the second approval; a changed vote counts once', () => {
    let r = applyVote(base(), v('ann', 'approve'));
    expect(r.status).toBe('pending');
    r = applyVote(r, v('ann', 'approve'));
    expect(r.votes).toHaveLength(1);
    r = applyVote(r, v('bob', 'approve'));
    expect(r.status).toBe('approved');
    expect(() => applyVote(r, v('cid', 'reject'))).toThrow(AlreadyDecidedError);
  });

  it('rejected once the quorum cannot be reached; an open list rejects at the first no', () => {
    let r = applyVote(base(), v('ann', 'reject'));
    expect(r.status).toBe('pending');
    r = applyVote(r, v('bob', 'reject'));
    expect(r.status).toBe('rejected');
    expect(applyVote(base({ approvers: null, quorum: 1 }), v('x', 'reject')).status).toBe(
      'rejected',
    );
  });

  it('only approvers vote; escalation adds approvers and a fresh wait, then expiry', () => {
    expect(() => applyVote(base(), v('mallory', 'approve'))).toThrow(NotAnApproverError);
    const r = base({ escalateTo: ['boss'], quorum: 1 });
    expect(timeOut(r, 999)).toBe(r);
    const esc = timeOut(r, 1000);
    expect(esc).toMatchObject({ status: 'pending', escalated: true, expiresAt: 2000 });
    expect(applyVote(esc, v('boss', 'approve')).status).toBe('approved');
    expect(timeOut(esc, 2000).status).toBe('expired');
  });
});

describe('approval gate', () => {
  let sys: ActorSystem;
  let board: Board;
  let audit: MemoryAuditSink;
  type GateP = NonNullable<ReturnType<typeof approvalGate>['__protocol']>;
  let gate: ActorRef<GateP>;

  beforeEach(async () => {
    audit = new MemoryAuditSink();
    sys = await ActorSystem.start({ name: 'gates', logLevel: 'silent', audit });
    board = memoryBoard();
    gate = sys.spawn(approvalGate({ board }), { name: 'approvals' });
    await sys.started(gate);
  });
  afterEach(async () => {
    await sys.shutdown({ timeoutMs: 2_000 });
  });

  const pendingIds = async () =>
    (await sys.ask(gate, 'list', {}, { timeout: 2_000 }))
      .filter((r) => r.status === 'pending')
      .map((r) => r.id);
  const waitPending = async (id: string) => {
    for (let i = 0; i < 200 && !(await pendingIds()).includes(id); i++)
      await new Promise((r) => setTimeout(r, 10));
  };

  it('holds a request until a quorum approves; every step audited', async () => {
    const decision = sys.ask(
      gate,
      'request',
      { id: 'd1', action: 'deploy', approvers: ['ann', 'bob'], quorum: 2 },
      { timeout: 10_000 },
    );
    await waitPending('d1');
    await sys.ask(gate, 'vote', { id: 'd1', by: 'ann', verdict: 'approve' }, { timeout: 2_000 });
    expect(await pendingIds()).toEqual(['d1']);
    // A vote written straight to the board (as the CLI does) is seen through the watch.
    const { ApprovalStore } = await import('../../actors/approvals/index.ts');
    await new ApprovalStore(board).vote('d1', { by: 'bob', verdict: 'approve', at: Date.now() });
    expect(await decision).toMatchObject({ id: 'd1', status: 'approved' });
    expect(audit.events.map((e) => e.kind).filter((k) => k.startsWith('approval.'))).toEqual([
      'approval.requested',
      'approval.vote',
      'approval.decided',
    ]);
  });

  it('rejects, expires, and escalates before expiring', async () => {
    const rejected = sys.ask(
      gate,
      'request',
      { id: 'r1', action: 'drop table' },
      { timeout: 10_000 },
    );
    await waitPending('r1');
    await sys.ask(
      gate,
      'vote',
      { id: 'r1', by: 'ann', verdict: 'reject', note: 'no' },
      { timeout: 2_000 },
    );
    expect((await rejected).status).toBe('rejected');
    expect(
      (
        await sys.ask(
          gate,
          'request',
          { id: 'e1', action: 'x', timeoutMs: 50 },
          { timeout: 10_000 },
        )
      ).status,
    ).toBe('expired');
    const escalated = sys.ask(
      gate,
      'request',
      { id: 'e2', action: 'x', approvers: ['ann'], escalateTo: ['boss'], timeoutMs: 100 },
      { timeout: 10_000 },
    );
    for (let i = 0; i < 300 && !audit.events.some((e) => e.kind === 'approval.escalated'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await sys.ask(gate, 'vote', { id: 'e2', by: 'boss', verdict: 'approve' }, { timeout: 2_000 });
    expect((await escalated).status).toBe('approved');
  });

  it('a request asked again with its id re-attaches; a decided one answers at once', async () => {
    const a = sys.ask(gate, 'request', { id: 'same', action: 'x' }, { timeout: 10_000 });
    await waitPending('same');
    const b = sys.ask(gate, 'request', { id: 'same', action: 'x' }, { timeout: 10_000 });
    await sys.ask(gate, 'vote', { id: 'same', by: 'ann', verdict: 'approve' }, { timeout: 2_000 });
    expect((await a).status).toBe('approved');
    expect((await b).status).toBe('approved');
    expect(
      (await sys.ask(gate, 'request', { id: 'same', action: 'x' }, { timeout: 2_000 })).status,
    ).toBe('approved');
  });

  it('bad requests and votes get typed errors; the gate keeps running', async () => {
    await expect(
      sys.ask(gate, 'request', { action: 'x', approvers: ['a'], quorum: 2 }, { timeout: 2_000 }),
    ).rejects.toBeInstanceOf(InvalidArgument);
    await expect(
      sys.ask(gate, 'request', { action: '' } as never, { timeout: 2_000 }),
    ).rejects.toThrow(/rejected/);
    await expect(
      sys.ask(gate, 'vote', { id: 'nope', by: 'a', verdict: 'approve' }, { timeout: 2_000 }),
    ).rejects.toThrow(/no approval nope/);
    const p = sys.ask(
      gate,
      'request',
      { id: 'only', action: 'x', approvers: ['ann'] },
      { timeout: 10_000 },
    );
    await waitPending('only');
    await expect(
      sys.ask(gate, 'vote', { id: 'only', by: 'eve', verdict: 'approve' }, { timeout: 2_000 }),
    ).rejects.toBeInstanceOf(NotAnApproverError);
    await sys.ask(gate, 'vote', { id: 'only', by: 'ann', verdict: 'approve' }, { timeout: 2_000 });
    expect((await p).status).toBe('approved');
  });

  it('a tool declaring needsApproval runs only once approved', async () => {
    let ran = 0;
    const tool: Tool<{ target: string }, string> = {
      name: 'deploy',
      description: 'deploy',
      input: z.object({ target: z.string() }),
      needsApproval: true,
      run: (a) => {
        ran++;
        return `deployed ${a.target}`;
      },
    };
    const ctx = {
      signal: new AbortController().signal,
      deadline: Date.now() + 10_000,
      agent: 'a',
      callId: 'c',
    };
    const gated = withApproval(tool, gate, sys, { timeoutMs: 60_000 });
    const approved = gated.run({ target: 'prod' }, ctx);
    await waitPendingAny();
    const id = (await pendingIds())[0]!;
    await sys.ask(gate, 'vote', { id, by: 'ann', verdict: 'approve' }, { timeout: 2_000 });
    expect(await approved).toBe('deployed prod');
    const denied = gated.run({ target: 'prod' }, ctx);
    await waitPendingAny();
    const id2 = (await pendingIds())[0]!;
    await sys.ask(gate, 'vote', { id: id2, by: 'ann', verdict: 'reject' }, { timeout: 2_000 });
    await expect(denied).rejects.toBeInstanceOf(ApprovalDeniedError);
    expect(ran).toBe(1);
    const plain = { ...tool, needsApproval: false };
    expect(withApproval(plain, gate, sys)).toBe(plain);

    async function waitPendingAny(): Promise<void> {
      for (let i = 0; i < 200 && (await pendingIds()).length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
    }
  });
});
