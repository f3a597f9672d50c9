// Human approval gates: requests held until approved, rejected or timed out (quorum,
// escalation), kept on a board so they survive a restart. The CLI: troupe approvals / approve / reject.
export {
  type ApprovalGateDef,
  type ApprovalGateOptions,
  approvalGate,
  GateAsks,
} from './approval-gate.ts';
export { ApprovalStore, approvalsBucket, newApprovalId } from './approval-store.ts';
export { defaultApprovalsDir, openApprovalBoard } from './open-board.ts';
export {
  AlreadyDecidedError,
  ApprovalRecord,
  ApprovalRequest,
  applyVote,
  Decision,
  eligible,
  NotAnApproverError,
  timeOut,
  Vote,
} from './record.ts';
export { ApprovalDeniedError, withApproval } from './with-approval.ts';
