import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, scriptedModel } from '../../actors/agents/index.ts';
import { type Board, memoryBoard } from '../../actors/board/index.ts';
import {
  fanOut,
  GatherFailedError,
  InvalidPlanError,
  LoopExhaustedError,
  loop,
  NoPeerError,
  NoRouteError,
  peerNetwork,
  pipeline,
  publishCard,
  router,
  supervisorTeam,
} from '../../actors/patterns/index.ts';
import {
  ActorFailed,
  type ActorRef,
  ActorSystem,
  InvalidArgument,
  MemoryAuditSink,
  Timeout,
} from '../../index.ts';
import { patternRuns } from '../support/pattern-runs.ts';
import {
  Append,
  Bidder,
  Critic,
  Dies,
  FixedPlanner,
  failuresLeft,
  KeywordTriage,
  workLog,
} from '../support/team-members.ts';

let sys: ActorSystem;
let audit: MemoryAuditSink;

beforeEach(async () => {
  audit = new MemoryAuditSink();
  sys = await ActorSystem.start({ name: 'patterns', logLevel: 'silent', audit });
  workLog.length = 0;
  failuresLeft.clear();
});
afterEach(async () => {
  await sys.shutdown({ timeoutMs: 2_000 });
});

const a = (tag: string, extra: { delayMs?: number; price?: number } = {}) => ({
  def: Append,
  name: tag,
  args: { tag, ...extra },
});

const { start, run } = patternRuns(() => sys, 5_000);

const kinds = (k: string) => audit.events.filter((e) => e.kind === k);
const started = (tag: string) => workLog.filter((w) => w.member === tag && w.event === 'start');

/** After a deadline passed: wait until every member is idle, then nothing else may start. */
async function settled(): Promise<void> {
  await sys.whenQuiescent();
}

/** A run whose deadline passes first: Timeout, then settled, so the test can see what started. */
async function timedOut(ref: ActorRef, input: unknown, timeout = 100): Promise<void> {
  await expect(run(ref, input, timeout)).rejects.toBeInstanceOf(Timeout);
  await settled();
}

describe('pipeline', () => {
  it('runs the steps in order, each output the next input, every step audited', async () => {
    const ref = await start(pipeline([a('a'), a('b'), a('c')]));
    expect(await run(ref, 'x')).toBe('x>a>b>c');
    expect(kinds('team.step').map((e) => e.data.member)).toEqual(['a', 'b', 'c']);
  });

  it('retries a crashing step per policy; the step is restarted by its parent in between', async () => {
    failuresLeft.set('b', 2);
    const restarts: string[] = [];
    sys.on((e) => {
      if (e.kind === 'restarted') restarts.push(e.path);
    });
    const ref = await start(
      pipeline([a('a'), a('b')], { step: { retry: { attempts: 3, backoffMs: 5 } } }),
    );
    expect(await run(ref, 'x')).toBe('x>a>b');
    expect(kinds('team.member_failed').map((e) => e.data.retry)).toEqual([true, true]);
    expect(restarts.filter((p) => p.endsWith('/b'))).toHaveLength(2);
  });

  it('a step that keeps failing fails the run with its error; later steps never run', async () => {
    failuresLeft.set('a', 5);
    const ref = await start(
      pipeline([a('a'), a('b')], { step: { retry: { attempts: 2, backoffMs: 1 } } }),
    );
    await expect(run(ref, 'x')).rejects.toBeInstanceOf(ActorFailed);
    expect(started('b')).toHaveLength(0);
  });

  it('a step over its timeout fails the run with Timeout', async () => {
    const ref = await start(
      pipeline([a('a', { delayMs: 2_000 }), a('b')], { step: { timeoutMs: 50 } }),
    );
    await expect(run(ref, 'x')).rejects.toBeInstanceOf(Timeout);
    expect(started('b')).toHaveLength(0);
  });

  it("the caller's deadline cancels the rest: no member work after it", async () => {
    const ref = await start(pipeline([a('a', { delayMs: 300 }), a('b'), a('c')]));
    await timedOut(ref, 'x');
    expect(started('a')).toHaveLength(1);
    expect(started('b')).toHaveLength(0);
    expect(started('c')).toHaveLength(0);
  });

  it('refuses bad options with InvalidArgument', () => {
    expect(() => pipeline([])).toThrow(InvalidArgument);
    expect(() => pipeline([{ nope: 1 } as never])).toThrow(InvalidArgument);
    expect(() => pipeline([a('a')], { step: { timeoutMs: -1 } })).toThrow(InvalidArgument);
    expect(() => pipeline([a('a'), a('a')])).toThrow(InvalidArgument);
  });
});

describe('fanOut', () => {
  it('gather all: every output, in member order', async () => {
    const ref = await start(fanOut({ to: [a('a', { delayMs: 30 }), a('b'), a('c')] }));
    expect(await run(ref, 'x')).toEqual(['x>a', 'x>b', 'x>c']);
    expect(kinds('team.gather')[0]!.data.ok).toEqual(['a', 'b', 'c']);
  });

  it('tolerates failures up to `tolerate`, and fails past it with GatherFailedError', async () => {
    failuresLeft.set('b', 10);
    const ok = await start(fanOut({ to: [a('a'), a('b'), a('c')], tolerate: 1 }));
    expect(await run(ok, 'x')).toEqual(['x>a', 'x>c']);
    failuresLeft.set('b', 10);
    const strict = await start(fanOut({ to: [a('a'), a('b'), a('c')], type: 'strict-fan' }));
    const err = await run(strict, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatherFailedError);
    expect((err as GatherFailedError).failures.map((f) => f.member)).toEqual(['b']);
  });

  it('a failing member is retried per policy before the gather counts it', async () => {
    failuresLeft.set('b', 1);
    const ref = await start(
      fanOut({ to: [a('a'), a('b')], step: { retry: { attempts: 2, backoffMs: 1 } } }),
    );
    expect(await run(ref, 'x')).toEqual(['x>a', 'x>b']);
  });

  it('first: the first success; quorum: the first n; a timed-out member is a failure', async () => {
    const first = await start(
      fanOut({ to: [a('slow', { delayMs: 2_000 }), a('fast')], gather: 'first' }),
    );
    expect(await run(first, 'x')).toBe('x>fast');
    const quorum = await start(
      fanOut({
        to: [a('q1'), a('q2', { delayMs: 2_000 }), a('q3')],
        gather: { quorum: 2 },
        step: { timeoutMs: 100 },
      }),
    );
    expect(await run(quorum, 'x')).toEqual(['x>q1', 'x>q3']);
    const impossible = await start(
      fanOut({
        to: [a('t1', { delayMs: 2_000 }), a('t2', { delayMs: 2_000 })],
        gather: { quorum: 1 },
        step: { timeoutMs: 50 },
      }),
    );
    await expect(run(impossible, 'x')).rejects.toBeInstanceOf(GatherFailedError);
  });

  it("the caller's deadline drops member work still queued", async () => {
    const slow = sys.spawn(Append, { name: 'shared-slow', args: { tag: 'shared', delayMs: 300 } });
    const ref = await start(fanOut({ to: [slow, slow, slow] }));
    await timedOut(ref, 'x');
    // The first ask was running when the deadline passed; the two queued behind it never ran.
    expect(started('shared')).toHaveLength(1);
  });

  it('refuses impossible gathers', () => {
    expect(() => fanOut({ to: [a('a')], gather: { quorum: 2 } })).toThrow(InvalidArgument);
    expect(() => fanOut({ to: [a('a')], tolerate: 1 })).toThrow(InvalidArgument);
    expect(() => fanOut({ to: [] })).toThrow(InvalidArgument);
  });
});

const plan = {
  subtasks: [
    { id: 'design', capability: 'architect', input: 'api' },
    { id: 'code', capability: 'coder', input: 'impl', dependsOn: ['design'] },
    { id: 'docs', capability: 'writer', input: 'readme', dependsOn: ['design'] },
  ],
};

describe('supervisorTeam', () => {
  it('routes subtasks by capability, in parallel where independent, then synthesizes', async () => {
    const ref = await start(
      supervisorTeam({
        planner: { def: FixedPlanner, name: 'planner', args: plan },
        workers: {
          architect: a('arch'),
          coder: a('coder', { delayMs: 50 }),
          writer: a('writer', { delayMs: 50 }),
        },
        synthesizer: a('synth'),
      }),
    );
    const out = String(await run(ref, 'goal'));
    expect(out).toContain('"results"');
    expect(out.endsWith('>synth')).toBe(true);
    // code and docs both depend only on design: they run at the same time.
    const codeStart = started('coder')[0]!.at;
    const writerEnd = workLog.find((w) => w.member === 'writer' && w.event === 'end')!.at;
    expect(codeStart).toBeLessThanOrEqual(writerEnd);
    expect(started('coder')[0]!.input).toEqual({ input: 'impl', from: { design: 'api>arch' } });
    expect(kinds('team.delegate').map((e) => e.data.subtask)).toEqual(['design', 'code', 'docs']);
  });

  it('rejects a plan naming a capability the team lacks (InvalidPlanError), after planner retries', async () => {
    const bad = { subtasks: [{ id: 'x', capability: 'astrologer', input: 1 }] };
    const ref = await start(
      supervisorTeam({
        planner: { def: FixedPlanner, name: 'planner', args: bad },
        workers: { coder: a('coder') },
        planStep: { retry: { attempts: 2 } },
      }),
    );
    await expect(run(ref, 'goal')).rejects.toBeInstanceOf(InvalidPlanError);
    expect(kinds('team.plan_rejected')).toHaveLength(2);
    expect(started('planner')).toHaveLength(2);
  });

  it('a cyclic plan is invalid', async () => {
    const cyclic = {
      subtasks: [
        { id: 'a', capability: 'coder', input: 1, dependsOn: ['b'] },
        { id: 'b', capability: 'coder', input: 1, dependsOn: ['a'] },
      ],
    };
    const ref = await start(
      supervisorTeam({
        planner: { def: FixedPlanner, name: 'p', args: cyclic },
        workers: { coder: a('c') },
      }),
    );
    await expect(run(ref, 'goal')).rejects.toThrow(/cycle/);
  });

  it('a failing worker is retried; one that keeps failing fails the run and its dependents never start', async () => {
    failuresLeft.set('arch', 1);
    const ok = await start(
      supervisorTeam({
        planner: { def: FixedPlanner, name: 'planner', args: plan },
        workers: { architect: a('arch'), coder: a('coder'), writer: a('writer') },
        step: { retry: { attempts: 2, backoffMs: 1 } },
      }),
    );
    expect(await run(ok, 'goal')).toMatchObject({ design: 'api>arch' });
    workLog.length = 0;
    failuresLeft.set('arch2', 9);
    const failing = await start(
      supervisorTeam({
        planner: { def: FixedPlanner, name: 'planner', args: plan },
        workers: { architect: a('arch2'), coder: a('coder'), writer: a('writer') },
      }),
    );
    await expect(run(failing, 'goal')).rejects.toBeInstanceOf(ActorFailed);
    expect(started('coder')).toHaveLength(0);
  });

  it("a timed-out worker fails the run with Timeout; after the caller's deadline no worker starts", async () => {
    const ref = await start(
      supervisorTeam({
        planner: { def: FixedPlanner, name: 'planner', args: plan },
        workers: { architect: a('arch', { delayMs: 300 }), coder: a('coder'), writer: a('writer') },
      }),
    );
    await timedOut(ref, 'goal');
    expect(started('coder')).toHaveLength(0);
    expect(started('writer')).toHaveLength(0);
  });
});

describe('loop', () => {
  it('revises until the critic approves; the worker sees the verdict', async () => {
    const ref = await start(
      loop({
        worker: a('w'),
        critic: { def: Critic, name: 'critic', args: { approveAt: 3 } },
        maxRounds: 5,
      }),
    );
    const out = String(await run(ref, 'draft'));
    expect(out.endsWith('>w')).toBe(true);
    expect(kinds('team.review').map((e) => e.data.approved)).toEqual([false, false, true]);
    expect(started('w')[1]!.input).toMatchObject({ round: 2, verdict: { approved: false } });
  });

  it('out of rounds: LoopExhaustedError, or the last draft with onExhausted last', async () => {
    const critic = { def: Critic, name: 'critic', args: { approveAt: 99 } };
    const failing = await start(loop({ worker: a('w'), critic, maxRounds: 2 }));
    await expect(run(failing, 'd')).rejects.toBeInstanceOf(LoopExhaustedError);
    const lenient = await start(
      loop({ worker: a('w2'), critic, maxRounds: 2, onExhausted: 'last' }),
    );
    expect(String(await run(lenient, 'd')).endsWith('>w2')).toBe(true);
  });

  it('a crashing worker is retried; a slow critic past the deadline: Timeout, no further round', async () => {
    failuresLeft.set('w', 1);
    const retried = await start(
      loop({
        worker: a('w'),
        critic: { def: Critic, name: 'critic', args: { approveAt: 1 } },
        maxRounds: 2,
        step: { retry: { attempts: 2 } },
      }),
    );
    expect(await run(retried, 'd')).toBe('d>w');
    workLog.length = 0;
    const slow = await start(
      loop({
        worker: a('w3'),
        critic: { def: Critic, name: 'critic', args: { approveAt: 9, delayMs: 300 } },
        maxRounds: 5,
      }),
    );
    await timedOut(slow, 'd');
    expect(started('w3')).toHaveLength(1);
  });
});

describe('router', () => {
  const routes = () => ({ billing: a('billing'), tech: a('tech'), general: a('general') });

  it('sends the input to the route triage picks, and only there', async () => {
    const ref = await start(
      router({
        triage: { def: KeywordTriage, name: 'triage', args: ['billing', 'tech'] },
        routes: routes(),
      }),
    );
    expect(await run(ref, 'my tech issue')).toBe('my tech issue>tech');
    expect(started('billing')).toHaveLength(0);
    expect(kinds('team.route')[0]!.data).toMatchObject({ chosen: 'tech', route: 'tech' });
  });

  it('unknown route: the fallback, or NoRouteError without one', async () => {
    const withFallback = await start(
      router({
        triage: { def: KeywordTriage, name: 'triage', args: [] },
        routes: routes(),
        fallback: 'general',
      }),
    );
    expect(await run(withFallback, 'hello')).toBe('hello>general');
    const strict = await start(
      router({ triage: { def: KeywordTriage, name: 'triage', args: [] }, routes: routes() }),
    );
    await expect(run(strict, 'hello')).rejects.toBeInstanceOf(NoRouteError);
    expect(() => router({ triage: a('t'), routes: {}, fallback: 'x' })).toThrow(InvalidArgument);
  });

  it("a failing route is retried; a slow triage past the caller's deadline routes nowhere", async () => {
    failuresLeft.set('tech', 1);
    const ref = await start(
      router({
        triage: { def: KeywordTriage, name: 'triage', args: ['tech'] },
        routes: routes(),
        step: { retry: { attempts: 2 } },
      }),
    );
    expect(await run(ref, 'tech')).toBe('tech>tech');
    workLog.length = 0;
    const slow = await start(
      router({ triage: a('slow-triage', { delayMs: 300 }), routes: routes(), fallback: 'general' }),
    );
    await timedOut(slow, 'x');
    expect(workLog.filter((w) => w.member !== 'slow-triage')).toHaveLength(0);
  });
});

describe('peerNetwork', () => {
  /** A Bidder peer named `tag`, its card on `board` offering `capability`. */
  async function bidder(
    board: Board,
    tag: string,
    capability: string,
    args: { price: number; delayMs?: number },
  ): Promise<void> {
    const ref = sys.spawn(Bidder, { name: tag, args: { tag, ...args } });
    await publishCard(board, { name: tag, ref, capabilities: [capability] });
  }

  it('announces, collects bids, awards the lowest; the task record follows on the board', async () => {
    const board = memoryBoard();
    for (const [tag, price] of [
      ['p1', 5],
      ['p2', 2],
      ['p3', 9],
    ] as const) {
      await bidder(board, tag, 'translate', { price });
    }
    await bidder(board, 'other', 'paint', { price: 0 });
    const ref = await start(peerNetwork({ registry: board }));
    expect(await run(ref, { capability: 'translate', input: 'hola' })).toBe('hola>p2');
    expect(kinds('team.bids')[0]!.data.bids).toEqual([
      { peer: 'p2', price: 2 },
      { peer: 'p1', price: 5 },
      { peer: 'p3', price: 9 },
    ]);
    const tasks = await board.list<{ status: string; by?: string }>('tasks.');
    expect(tasks.map((t) => t.value)).toMatchObject([{ status: 'done', by: 'p2' }]);
  });

  it('re-awards when the winner dies mid-task', async () => {
    const board = memoryBoard();
    const dying = sys.spawn(Dies, { name: 'dying', args: { tag: 'dying', price: 1 } });
    await publishCard(board, { name: 'dying', ref: dying, capabilities: ['x'] });
    const backup = sys.spawn(Append, { name: 'backup', args: { tag: 'backup' } });
    await publishCard(board, { name: 'backup', ref: backup, capabilities: ['x'], cost: 3 });
    const ref = await start(peerNetwork({ registry: board }));
    expect(await run(ref, { capability: 'x', input: 'job' })).toBe('job>backup');
    expect(kinds('team.award').map((e) => e.data.peer)).toEqual(['dying', 'backup']);
    expect(kinds('team.reaward')[0]!.data.failed).toBe('dying');
  });

  it('re-awards after the award timeout; no peer: NoPeerError; bad task: InvalidArgument', async () => {
    const board = memoryBoard();
    await bidder(board, 'slowpeer', 'x', { price: 1, delayMs: 2_000 });
    await bidder(board, 'fastpeer', 'x', { price: 2 });
    const ref = await start(peerNetwork({ registry: board, awardTimeoutMs: 100 }));
    expect(await run(ref, { capability: 'x', input: 'j' })).toBe('j>fastpeer');
    await expect(run(ref, { capability: 'nobody', input: 'j' })).rejects.toBeInstanceOf(
      NoPeerError,
    );
    await expect(run(ref, 'not a task')).rejects.toBeInstanceOf(InvalidArgument);
  });

  it("after the caller's deadline nothing is re-awarded", async () => {
    const board = memoryBoard();
    await bidder(board, 'slowpeer', 'x', { price: 1, delayMs: 300 });
    await bidder(board, 'nextpeer', 'x', { price: 2 });
    const ref = await start(peerNetwork({ registry: board }));
    await timedOut(ref, { capability: 'x', input: 'j' }, 150);
    expect(started('nextpeer')).toHaveLength(0);
  });
});

describe('nesting', () => {
  it('a pipeline inside a fan-out inside a hierarchy (three levels of teams)', async () => {
    const inner = pipeline([a('p1'), a('p2')], { type: 'inner-pipeline' });
    const middle = fanOut({ to: [{ def: inner, name: 'pipe' }, a('solo')], type: 'middle-fan' });
    const topPlan = { subtasks: [{ id: 'research', capability: 'research', input: 'topic' }] };
    const top = supervisorTeam({
      planner: { def: FixedPlanner, name: 'planner', args: topPlan },
      workers: { research: { def: middle, name: 'research-team' } },
      synthesizer: a('synth'),
      type: 'top-team',
    });
    const ref = await start(top);
    const out = String(await run(ref, 'goal'));
    expect(out).toContain('topic>p1>p2');
    expect(out).toContain('topic>solo');
    // Every level is a real actor in the tree: top / research-team / pipe / p1.
    expect(sys.lookup(`${ref.path}/research-team/pipe/p1`)).toBeDefined();
    const patterns = new Set(
      audit.events.filter((e) => e.kind.startsWith('team.')).map((e) => e.actor),
    );
    expect(patterns).toEqual(
      new Set([ref.path, `${ref.path}/research-team`, `${ref.path}/research-team/pipe`]),
    );
  });

  it("a deadline reaches every level: the inner pipeline's later step never starts", async () => {
    const inner = pipeline([a('slow1', { delayMs: 300 }), a('after')], { type: 'inner-pipeline' });
    const middle = fanOut({ to: [{ def: inner, name: 'pipe' }], type: 'middle-fan' });
    const top = pipeline([{ def: middle, name: 'fan' }, a('last')], { type: 'top-pipeline' });
    const ref = await start(top);
    await timedOut(ref, 'x');
    expect(started('after')).toHaveLength(0);
    expect(started('last')).toHaveLength(0);
  });
});

describe('with agents as members', () => {
  it("agents run in a pipeline; past the caller's deadline no model is called", async () => {
    /** A writer agent that always answers `answer`; its model counts the calls. */
    const writer = (type: string, answer: string) => {
      const model = scriptedModel([answer], { loop: true });
      const def = defineAgent({ type, model, instructions: 'Write.', output: z.string() });
      return { model, member: { def, name: 'writer' } };
    };
    const first = writer('writer', 'drafted');
    const ok = await start(pipeline([a('a'), first.member]));
    expect(await run(ok, 'topic')).toBe('drafted');
    expect(first.model.calls).toBe(1);
    const late = writer('late-writer', 'never');
    const slow = await start(pipeline([a('slow', { delayMs: 300 }), late.member]));
    await timedOut(slow, 'topic');
    expect(late.model.calls).toBe(0);
  });
});
