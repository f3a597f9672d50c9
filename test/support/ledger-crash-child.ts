// Child process for the crash tests: opens a ledger and runs one operation, SIGKILLing itself
// the moment the ledger reports the durability step named by TROUPE_LEDGER_CRASH_AT.
// Usage: node --import tsx ledger-crash-child.ts <dir> <append|checkpoint|erase>
import { createIngester, type LedgerStep } from '../../actors/ledger/index.ts';
import { crashRecords, openTestLedger, STREAM } from './ledger-fixtures.ts';

const [dir, op] = process.argv.slice(2) as [string, string];
const crashAt = process.env.TROUPE_LEDGER_CRASH_AT as LedgerStep | undefined;
const now = () => Number(process.env.TROUPE_LEDGER_NOW ?? Date.now());

const ledger = await openTestLedger(dir, {
  now,
  onStep: (step) => {
    if (step === crashAt) process.kill(process.pid, 'SIGKILL');
  },
});
if (op === 'append') {
  await createIngester(ledger, { stream: STREAM }).offer(crashRecords());
} else if (op === 'checkpoint') {
  await createIngester(ledger, { stream: STREAM }).offer(crashRecords());
  await ledger.checkpoint();
} else if (op === 'erase') {
  await ledger.erasePayload(2);
}
await ledger.close();
process.stdout.write('completed\n');
