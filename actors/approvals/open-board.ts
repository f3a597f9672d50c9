import { join } from 'node:path';
import type { ActorSystem } from '../../runtime/index.ts';
import { type Board, fileBoard, natsBoard } from '../board/index.ts';
import { approvalsBucket } from './approval-store.ts';

/** The default folder of embedded approvals: TROUPE_APPROVALS_DIR, else `.troupe/approvals`. */
export function defaultApprovalsDir(): string {
  return process.env.TROUPE_APPROVALS_DIR ?? join('.troupe', 'approvals');
}

/** The board a system's approvals live on: its KV bucket on NATS, a folder when embedded. */
export async function openApprovalBoard(
  system: ActorSystem,
  opts: { dir?: string } = {},
): Promise<Board> {
  const nc = system.nats;
  if (nc !== undefined) return natsBoard(nc, approvalsBucket(system.name));
  return fileBoard(opts.dir ?? defaultApprovalsDir());
}
