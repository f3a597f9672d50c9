import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import {
  type ApprovalRecord,
  ApprovalStore,
  defaultApprovalsDir,
  eligible,
  openApprovalBoard,
} from '../../actors/approvals/index.ts';
import { type Board, fileBoard } from '../../actors/board/index.ts';
import { ActorSystem, InvalidArgument } from '../../runtime/index.ts';
import { loadConfig, type Overrides, systemOptions } from '../config.ts';

/**
 * `troupe approvals`, `troupe approve <id>`, `troupe reject <id>`: the human side of the gates.
 * On NATS (--nats or TROUPE_NATS_URL) the requests are in the system's KV bucket; embedded,
 * in the approvals folder (--dir, TROUPE_APPROVALS_DIR or .troupe/approvals). A vote is a
 * compare-and-set on the request's record: the gate holding the request sees it and answers.
 */
export interface ApprovalsOptions extends Overrides {
  dir?: string;
  all?: boolean;
  json?: boolean;
  by?: string;
  note?: string;
}

async function openStore(
  o: ApprovalsOptions,
): Promise<{ store: ApprovalStore; close: () => Promise<void> }> {
  const cfg = await loadConfig(o);
  if (!cfg.nats) {
    const board: Board = fileBoard(o.dir ?? defaultApprovalsDir());
    return { store: new ApprovalStore(board), close: () => board.close() };
  }
  const sys = await ActorSystem.start({
    ...systemOptions(cfg),
    node: `cli-${randomBytes(4).toString('hex')}`,
    logLevel: 'silent',
    heartbeatMs: 0,
  });
  try {
    const board = await openApprovalBoard(sys);
    return {
      store: new ApprovalStore(board),
      close: async () => {
        await board.close();
        await sys.shutdown({ timeoutMs: 2_000 });
      },
    };
  } catch (err) {
    await sys.shutdown({ timeoutMs: 2_000 });
    throw err;
  }
}

function line(r: ApprovalRecord): string {
  const yes = r.votes.filter((v) => v.verdict === 'approve').length;
  const who = eligible(r);
  const left = r.status === 'pending' ? ` expires ${new Date(r.expiresAt).toISOString()}` : '';
  return `${r.id}  ${r.status.padEnd(8)}  ${r.action}  (${yes}/${r.quorum} approvals${who ? ` from ${who.join(', ')}` : ''}${r.escalated ? ', escalated' : ''})${left}${r.summary ? `\n    ${r.summary.split('\n')[0]}` : ''}`;
}

export async function approvals(o: ApprovalsOptions, out: (l: string) => void): Promise<number> {
  const { store, close } = await openStore(o);
  try {
    const rs = (await store.list()).filter((r) => o.all || r.status === 'pending');
    if (o.json) out(JSON.stringify(rs));
    else if (rs.length === 0) out(o.all ? 'no approvals' : 'no pending approvals');
    else for (const r of rs) out(line(r));
    return 0;
  } finally {
    await close();
  }
}

async function vote(
  o: ApprovalsOptions,
  id: string,
  verdict: 'approve' | 'reject',
  out: (l: string) => void,
): Promise<number> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new InvalidArgument(`not an approval id: ${id}`);
  const by = o.by ?? process.env.TROUPE_APPROVER ?? userInfo().username;
  const { store, close } = await openStore(o);
  try {
    if ((await store.get(id)) === null) throw new InvalidArgument(`no approval ${id}`);
    const r = await store.vote(id, {
      by,
      verdict,
      ...(o.note ? { note: o.note } : {}),
      at: Date.now(),
    });
    if (o.json) out(JSON.stringify(r));
    else out(`${verdict === 'approve' ? 'approved' : 'rejected'} by ${by}: ${line(r)}`);
    return 0;
  } finally {
    await close();
  }
}

export function approve(
  o: ApprovalsOptions,
  id: string,
  out: (l: string) => void,
): Promise<number> {
  return vote(o, id, 'approve', out);
}

export function reject(o: ApprovalsOptions, id: string, out: (l: string) => void): Promise<number> {
  return vote(o, id, 'reject', out);
}
