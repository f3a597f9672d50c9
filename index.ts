// troupe's public API: the only module examples and users import.
import { Watchdog } from './actors/watchdog/index.ts';
import { ActorSystem } from './runtime/index.ts';

export {
  type BridgeHandle,
  type BridgeOptions,
  type BridgeProtocol,
  initIdentity as initMeshIdentity,
  startBridge,
} from './actors/bridge/index.ts';
export {
  type AuditLedger,
  type AuditLedgerOptions,
  attachAuditSink,
  decodeAuditBatch,
  LedgerActor,
  type LedgerAlert,
  startAuditLedger,
  verifyLedger,
  WitnessActor,
} from './actors/ledger/index.ts';

export { Watchdog } from './actors/watchdog/index.ts';
export { renderTree } from './deploy/tree-render.ts';
export { defineTroupe, type TroupeModule } from './deploy/troupe-module.ts';
export * from './runtime/index.ts';
// The tree rows every node answers with, for tools that watch a running system (dashboard/).
export { TreeRow as TreeRowSchema, treeSubject } from './runtime/remote/control-protocol.ts';
export type { TreeRow } from './runtime/remote/index.ts';

// Every system started through the public API enforces handler limits and heartbeats.
ActorSystem.defaultWatchdog ??= Watchdog as unknown as typeof ActorSystem.defaultWatchdog;
