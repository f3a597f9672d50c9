// What the four example teams share: a model per agent (scripted offline, a real endpoint when
// TROUPE_MODEL_URL is set), the run's own ledger with its decisions printed as they land, an
// approval gate, a stand-in human for offline runs, the ledger's proof at the end, and the
// troupe module that runs them in that order (defineTeamTroupe).
import { join } from 'node:path';
import {
  type ActorRef,
  type ActorSystem,
  type ApprovalGateDef,
  type AuditEvent,
  approvalGate,
  type Board,
  defineTroupe,
  fileBoard,
  type Model,
  openAICompatible,
  type PatternDef,
  recordTeam,
  type ScriptStep,
  scriptedModel,
  type TeamRecord,
  type TroupeModule,
} from 'troupe';

/** True when the agents talk to a real model; false on the scripted one. */
export const live = Boolean(process.env.TROUPE_MODEL_URL);

export function modelFor(id: string, script: readonly ScriptStep[]): Model {
  return live
    ? openAICompatible({ model: process.env.TROUPE_MODEL ?? 'llama3.2' })
    : scriptedModel(script, { id, loop: true });
}

type GateP = NonNullable<ApprovalGateDef['__protocol']>;

export interface TeamRun {
  readonly record: TeamRecord;
  readonly board: Board;
  readonly gate: ActorRef<GateP>;
}

/** Start the run's ledger (before any agent acts) and its approval gate. */
export async function startTeamRun(system: ActorSystem, name: string): Promise<TeamRun> {
  const record = await recordTeam(system, {
    name,
    ...(process.env.TROUPE_LEDGER_DIR ? { dir: process.env.TROUPE_LEDGER_DIR } : {}),
    out: (l) => console.log(l),
  });
  const board = fileBoard(join(record.dir, 'approvals'));
  const gate = system.spawn(approvalGate({ board }), { name: 'approvals' });
  return { record, board, gate };
}

/**
 * Offline, a scripted human answers each approval as it appears (`verdict` decides); with a
 * real model, a real one does: the command to run is printed.
 */
export async function humans(
  system: ActorSystem,
  run: TeamRun,
  by: string,
  verdict: (action: string) => 'approve' | 'reject' = () => 'approve',
): Promise<() => void> {
  return run.board.watch('approvals.', (c) => {
    if (c.op !== 'put') return;
    const r = c.value as {
      id: string;
      action: string;
      summary: string;
      status: string;
      votes: unknown[];
    };
    if (r.status !== 'pending' || r.votes.length > 0) return;
    if (live) {
      console.log(
        `  waiting for a human: troupe approve ${r.id} --dir ${join(run.record.dir, 'approvals')} --by ${by}`,
      );
      return;
    }
    const v = verdict(r.action);
    console.log(
      `  ${by} (a scripted human) reads "${r.summary.slice(0, 80)}" and votes ${v} on ${r.id}`,
    );
    void system
      .ask(run.gate, 'vote', { id: r.id, by, verdict: v }, { timeout: 5_000 })
      .catch(() => {});
  });
}

/** Sign the ledger, verify it, and prove the decision `match` picks; print how to check it. */
export async function proveAndClose(
  run: TeamRun,
  what: string,
  match: (e: AuditEvent) => boolean,
): Promise<void> {
  try {
    const p = await run.record.prove(match);
    console.log(`decided: ${what}: ${p.event.kind} ${JSON.stringify(p.event.data)}`);
    console.log(
      `ledger proof: entry ${p.index} (leaf ${p.leafHash}) is in the tree of ${p.size} entries signed by ${p.origin} (root ${p.root}; audit path of ${p.auditPath} hashes); hash chain, tree and ${p.checkpoints} checkpoint(s) verified`,
    );
    console.log(
      `check it yourself: troupe ledger verify ${run.record.dir} && troupe ledger prove ${run.record.dir} ${p.index}`,
    );
  } finally {
    await run.board.close();
    await run.record.close();
  }
}

/** One example team: what differs between the four; defineTeamTroupe does the rest. */
export interface TeamExample {
  /** The troupe's default system name. */
  readonly name: string;
  /** The run's ledger. */
  readonly ledger: string;
  /** The team actor's name (its members' paths start with it). */
  readonly team: string;
  /** Who answers the team's approvals; none when it asks no human. */
  readonly human?: string;
  /** The team: its agents, tools and pattern, built once the ledger and the gate run. */
  build(system: ActorSystem, run: TeamRun): PatternDef;
  /** The job: give the team its inputs through `ask` (its `run` ask) and print the replies. */
  job(ask: (input: unknown, timeoutMs: number) => Promise<unknown>): Promise<void>;
  /** The decision the ledger proves at the end, and what to call it. */
  readonly proves: { readonly what: string; readonly match: (e: AuditEvent) => boolean };
}

/**
 * The troupe module of an example team: setup starts the run's ledger and gate, then spawns the
 * team; run does the job while the human (scripted offline) answers approvals, then proves.
 */
export function defineTeamTroupe(example: TeamExample): TroupeModule {
  let run: TeamRun;
  let team: ActorRef<NonNullable<PatternDef['__protocol']>>;
  return defineTroupe({
    name: example.name,
    async setup(system) {
      run = await startTeamRun(system, example.ledger);
      team = system.spawn(example.build(system, run), { name: example.team });
    },
    async run(system) {
      const stop = example.human ? await humans(system, run, example.human) : () => {};
      try {
        await example.job((input, timeout) => system.ask(team, 'run', { input }, { timeout }));
      } finally {
        stop();
      }
      await proveAndClose(run, example.proves.what, example.proves.match);
    },
  });
}
