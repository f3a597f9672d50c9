// Orchestration patterns as actors: each returns a definition that answers `run({ input })`,
// so patterns nest (a team is a member of a team) and run under supervision like any actor.
// docs/patterns.md is the guide.

export { type DecisionProof, DecisionProofError, proveDecision } from './decision-proof.ts';
export {
  GatherFailedError,
  InvalidPlanError,
  LoopExhaustedError,
  NoPeerError,
  NoRouteError,
} from './errors.ts';
export { type FanOutOptions, fanOut, type Gather, type Gathered } from './fan-out.ts';
export { type LoopOptions, loop, type ReviewInput, type RevisionInput, Verdict } from './loop.ts';
export {
  type Member,
  type MemberDef,
  type RetryPolicy,
  RunAsk,
  type RunProtocol,
  type StepPolicy,
} from './member.ts';
export type { PatternDef, PatternRun } from './pattern-actor.ts';
export {
  BidAsk,
  type BidProtocol,
  CapabilityCard,
  type PeerNetworkOptions,
  PeerTask,
  peerNetwork,
  publishCard,
  withdrawCard,
} from './peer-network.ts';
export { type PipelineOptions, pipeline } from './pipeline.ts';
export { type RouterOptions, router, Triage } from './router.ts';
export {
  checkPlan,
  Plan,
  type SubtaskInput,
  type SupervisorTeamOptions,
  type SynthesisInput,
  supervisorTeam,
} from './supervisor-team.ts';
export { recordTeam, type TeamRecord } from './team-record.ts';
