import { equalHashes } from '../../../protocols/merkle/index.ts';
import type { LedgerPaths } from './layout.ts';
import type { LevelRebuilder } from './level-cache.ts';
import { type ScanOptions, type ScanResult, scanLedger } from './scan.ts';
import type { StateRecord } from './state-record.ts';

/**
 * Scan both logs up to what the state record committed, handing every tree node to `rebuilder`
 * (a failed scan abandons the rebuild). Opening a ledger and verifying one both start here.
 */
export async function rescanLogs(
  paths: LedgerPaths,
  state: StateRecord,
  rebuilder: LevelRebuilder,
  tuning: Pick<ScanOptions, 'workers' | 'windowLevel'>,
  checks: Pick<ScanOptions, 'checkPayloads' | 'collectIndex'>,
): Promise<ScanResult> {
  const scan = await scanLedger({
    leavesPath: paths.leaves,
    payloadsPath: paths.payloads,
    leavesBytes: state.leavesBytes,
    payloadsBytes: state.payloadsBytes,
    size: state.size,
    ...checks,
    workers: tuning.workers,
    windowLevel: tuning.windowLevel,
    levels: (level, first, bytes) => rebuilder.write(level, first, bytes),
  });
  if (scan.failure) rebuilder.abort();
  return scan;
}

/** Which fact of the state record the scanned logs contradict ('size', 'root', …), if any. */
export function stateMismatch(scan: ScanResult, state: StateRecord): string | undefined {
  if (scan.size !== state.size) return 'size';
  if (!equalHashes(scan.root, state.root)) return 'root';
  if (!equalHashes(scan.lastLeafHash, state.lastLeafHash)) return 'last leaf hash';
  if (scan.lastStreamSeq !== state.lastStreamSeq) return 'stream cursor';
  return undefined;
}
