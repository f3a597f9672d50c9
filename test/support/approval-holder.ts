// A process holding a pending approval (see approvals-restart.test.ts): it asks its gate for
// approval `id`, says "pending <id>" once the request is on the board, and "decided <status>"
// when a human answers. Argument 1 is `file:<dir>` (embedded) or `nats:<url>,<user>,<pass>`.
import { ApprovalStore, approvalGate, openApprovalBoard } from '../../actors/approvals/index.ts';
import { type ActorRef, ActorSystem } from '../../index.ts';

const [where, system, id] = process.argv.slice(2) as [string, string, string];
const nats = where.startsWith('nats:') ? where.slice(5).split(',') : null;
const sys = await ActorSystem.start({
  name: system,
  logLevel: 'silent',
  ...(nats
    ? { transport: { kind: 'nats' as const, servers: nats[0]!, user: nats[1]!, pass: nats[2]! } }
    : {}),
});
const board = await openApprovalBoard(sys, nats ? {} : { dir: where.slice(5) });
const Gate = approvalGate({ board });
const gate = sys.spawn(Gate, { name: 'approvals' }) as ActorRef<
  NonNullable<(typeof Gate)['__protocol']>
>;
await sys.started(gate);
const decision = sys.ask(
  gate,
  'request',
  {
    id,
    action: 'deploy v2 to production',
    summary: 'all tests green',
    quorum: 1,
    timeoutMs: 600_000,
  },
  { timeout: 600_000 },
);
const store = new ApprovalStore(board);
for (let i = 0; i < 600 && (await store.get(id)) === null; i++)
  await new Promise((r) => setTimeout(r, 50));
process.stdout.write(`pending ${id}\n`);
const d = await decision;
process.stdout.write(`decided ${d.status} by ${d.votes.map((v) => v.by).join(',')}\n`);
await board.close();
await sys.shutdown({ timeoutMs: 2_000 });
process.exit(0);
