// The agent loop as an actor: tools (parallel, throwing, invalid), structured output with
// repair turns, budgets failing into supervision, deadlines reaching the HTTP request, memory
// across a crash, and the audit events of a run. The model is scripted (the only fake allowed)
// or a real HTTP server on loopback.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ActorFailed,
  type ActorRef,
  ActorSystem,
  type AgentDef,
  type AgentSpec,
  type AnyTool,
  type AuditEvent,
  actorTool,
  type ChatMessage,
  defineActor,
  defineAgent,
  defineSupervisor,
  InvalidArgument,
  MemoryAuditSink,
  type ModelRequest,
  openAICompatible,
  type ProtocolOf,
  type RuntimeEvent,
  scriptedModel,
  shardRef,
  subtreeBudget,
  Timeout,
  tool,
} from '../../index.ts';
import { type ModelServer, startModelServer } from '../support/model-server.ts';
import { eventually } from '../support/processes.ts';

const systems: ActorSystem[] = [];
const closers: (() => unknown)[] = [];
async function start(): Promise<{
  sys: ActorSystem;
  events: RuntimeEvent[];
  audit: MemoryAuditSink;
}> {
  const audit = new MemoryAuditSink();
  const sys = await ActorSystem.start({ name: 'agents', logLevel: 'silent', audit });
  systems.push(sys);
  const events: RuntimeEvent[] = [];
  sys.on((e) => events.push(e));
  return { sys, events, audit };
}
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await Promise.all(systems.splice(0).map((s) => s.shutdown({ timeoutMs: 3000 })));
});

const Sum = z.object({ sum: z.number() });
const add = tool({
  name: 'add',
  description: 'Add two numbers',
  input: z.object({ a: z.number(), b: z.number() }),
  run: ({ a, b }) => ({ sum: a + b }),
});
const T = 10_000;
/** A tool `disk` that fails the way `run` does (throws, or rejects). */
const failingDisk = (run: () => unknown) =>
  tool({ name: 'disk', description: 'Fails', input: z.object({}), run });
type P<D> = ProtocolOf<D>;
const at = <D>(path: string): ActorRef<P<D>> => ({ system: 'agents', path });
const of = (audit: MemoryAuditSink, kind: string): AuditEvent[] =>
  audit.events.filter((e) => e.kind === kind);
const kinds = (events: RuntimeEvent[], kind: RuntimeEvent['kind']) =>
  events.filter((e) => e.kind === kind).map((e) => ('path' in e ? e.path : ''));

/** A supervisor over one agent, with the given intensity. */
function supervised(def: AgentDef, intensity: number, id = 'agent') {
  return defineSupervisor({
    type: 'team',
    strategy: 'one_for_one',
    intensity,
    period: 60,
    children: [{ id, start: { def } }],
  });
}

/** An agent of type `a`, instructions `x`, answering Sum; each test sets the rest. */
function sumAgent(
  spec: Omit<AgentSpec<z.ZodJSONSchema, typeof Sum>, 'type' | 'instructions' | 'output'> & {
    type?: string;
  },
) {
  return defineAgent({ type: 'a', instructions: 'x', output: Sum, ...spec });
}

/** A Sum agent whose model calls `t` once with `args`, then answers from what `t` returned. */
function callsOnce(t: AnyTool, args: unknown, answer: (result: string) => string, type = 'a') {
  const model = scriptedModel([
    { toolCalls: [{ name: t.name, args }] },
    (req) => answer(req.messages.at(-1)!.content),
  ]);
  return sumAgent({ type, model, tools: [t] });
}

/** Spawns `def` as team/agent under `supervised` and waits until it runs; the team's ref. */
async function spawnTeam(sys: ActorSystem, def: AgentDef, intensity = 5) {
  const team = sys.spawn(supervised(def, intensity), { name: 'team' });
  await sys.whenQuiescent();
  return team;
}

/** Asks for a run that must fail into supervision (team/agent unless told); the failure. */
async function failedRun(
  sys: ActorSystem,
  { path = 'team/agent', input = 'x', timeout = T } = {},
): Promise<ActorFailed> {
  const e = await sys
    .ask(at<AgentDef>(path), 'run', { input }, { timeout })
    .catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ActorFailed);
  return e as ActorFailed;
}

describe('defineAgent', () => {
  it('runs the loop: parallel tool calls, results back to the model, a typed answer', async () => {
    const { sys, audit } = await start();
    // Both calls must be running at once for either to finish: proof they run in parallel.
    let arrived = 0;
    let release: () => void = () => {};
    const both = new Promise<void>((r) => {
      release = r;
    });
    const slowAdd = tool({
      name: 'add',
      description: 'Add two numbers',
      input: z.object({ a: z.number(), b: z.number() }),
      async run({ a, b }) {
        if (++arrived === 2) release();
        await both;
        return { sum: a + b };
      },
    });
    const model = scriptedModel([
      {
        toolCalls: [
          { name: 'add', args: { a: 1, b: 2 } },
          { name: 'add', args: { a: 3, b: 4 } },
        ],
      },
      (req) => {
        const results = req.messages
          .filter((m) => m.role === 'tool')
          .map((m) => JSON.parse(m.content).sum);
        return JSON.stringify({ sum: results.reduce((x: number, y: number) => x + y, 0) });
      },
    ]);
    const Adder = defineAgent({
      type: 'adder',
      model,
      instructions: 'Add.',
      tools: [slowAdd],
      output: Sum,
    });
    const ref = sys.spawn(Adder, { name: 'adder' });
    const out = await sys.ask(ref, 'run', { input: 'add 1+2 and 3+4' }, { timeout: T });
    expect(out).toEqual({ sum: 10 });
    // The model saw the tools as JSON Schema and the output schema.
    const first = model.requests[0]!;
    expect(first.tools).toEqual([
      {
        name: 'add',
        description: 'Add two numbers',
        parameters: {
          type: 'object',
          properties: { a: { type: 'number' }, b: { type: 'number' } },
          required: ['a', 'b'],
        },
      },
    ]);
    expect(first.output?.schema).toMatchObject({ type: 'object', required: ['sum'] });
    expect(first.messages[0]).toMatchObject({ role: 'system' });
    expect((first.messages[0] as { content: string }).content).toContain('"sum"');
    const second = model.requests[1]!.messages;
    expect(second.filter((m) => m.role === 'tool')).toEqual([
      { role: 'tool', callId: 'call_1_1', name: 'add', content: '{"sum":3}' },
      { role: 'tool', callId: 'call_1_2', name: 'add', content: '{"sum":7}' },
    ]);
    expect(of(audit, 'model.call')).toHaveLength(2);
    expect(of(audit, 'tool.call').map((e) => e.data.outcome)).toEqual(['ok', 'ok']);
    const stats = await sys.ask(ref, 'stats', {}, { timeout: T });
    expect(stats.runs).toBe(1);
    expect(stats.last).toMatchObject({ modelCalls: 2, toolCalls: 2, toolFailures: 0 });
  });

  it('records model.call and tool.call audit events with tokens, cost, hashes and outcome', async () => {
    const { sys, audit } = await start();
    const model = scriptedModel(
      [
        {
          toolCalls: [{ name: 'add', args: { a: 1, b: 1 } }],
          usage: { inputTokens: 100, outputTokens: 10 },
        },
        { text: '{"sum":2}', usage: { inputTokens: 120, outputTokens: 5 } },
      ],
      { id: 'gpt-4o-mini-2024-07-18' },
    );
    const A = defineAgent({ type: 'a', model, instructions: 'Add.', tools: [add], output: Sum });
    await sys.ask(sys.spawn(A, { name: 'a' }), 'run', { input: 'x' }, { timeout: T });
    const [m1, m2] = of(audit, 'model.call');
    expect(m1!.actor).toBe('a');
    expect(m1!.data).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      step: 1,
      outcome: 'ok',
      inputTokens: 100,
      outputTokens: 10,
      finishReason: 'tool_calls',
      toolCalls: 1,
    });
    // gpt-4o-mini by the default price table: $0.15 / $0.60 per million tokens.
    expect(m1!.data.costUsd).toBeCloseTo((100 * 0.15 + 10 * 0.6) / 1e6, 12);
    expect(m1!.data.promptHash).toMatch(/^[0-9a-f]{64}$/);
    expect(m1!.data.answerHash).toMatch(/^[0-9a-f]{64}$/);
    expect(m2!.data.promptHash).not.toBe(m1!.data.promptHash);
    expect(typeof m1!.data.latencyMs).toBe('number');
    const [t] = of(audit, 'tool.call');
    expect(t!.data).toMatchObject({ name: 'add', callId: 'call_1_1', outcome: 'ok' });
    expect(t!.data.argsHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a throwing tool, bad arguments and an unknown tool are structured errors the model reads', async () => {
    const { sys, audit } = await start();
    const broken = failingDisk(() => {
      throw new RangeError('disk on fire');
    });
    const model = scriptedModel([
      {
        toolCalls: [
          { name: 'disk', args: {} },
          { name: 'add', args: { a: 'one', b: 2 } },
          { name: 'add', args: '{not json' },
          { name: 'nope', args: {} },
        ],
      },
      '{"sum":0}',
    ]);
    const A = defineAgent({
      type: 'a',
      model,
      instructions: 'x',
      tools: [add, broken],
      output: Sum,
    });
    const ref = sys.spawn(A, { name: 'a' });
    expect(await sys.ask(ref, 'run', { input: 'x' }, { timeout: T })).toEqual({ sum: 0 });
    const results = model.requests[1]!.messages.filter((m) => m.role === 'tool');
    expect(results.map((r) => r.isError)).toEqual([true, true, true, true]);
    expect(JSON.parse(results[0]!.content)).toEqual({
      error: { type: 'RangeError', message: 'disk on fire' },
    });
    expect(JSON.parse(results[1]!.content).error.type).toBe('InvalidArguments');
    expect(JSON.parse(results[1]!.content).error.message).toContain('a:');
    expect(JSON.parse(results[2]!.content).error.message).toContain('not JSON');
    expect(JSON.parse(results[3]!.content).error).toMatchObject({ type: 'UnknownTool' });
    expect(of(audit, 'tool.call').map((e) => e.data.outcome)).toEqual([
      'error',
      'invalid_args',
      'invalid_args',
      'unknown_tool',
    ]);
    const stats = await sys.ask(ref, 'stats', {}, { timeout: T });
    expect(stats.last).toMatchObject({ toolCalls: 4, toolFailures: 4 });
  });

  it('a throwing tool spends a tool-failure budget: the next model call fails the run', async () => {
    const { sys, events } = await start();
    const broken = failingDisk(() => Promise.reject(new Error('io')));
    const model = scriptedModel([{ toolCalls: [{ name: 'disk', args: {} }] }, '{"sum":1}'], {
      loop: true,
    });
    const A = sumAgent({ model, tools: [broken], budget: { toolFailures: 0 } });
    await spawnTeam(sys, A as AgentDef);
    expect((await failedRun(sys)).reason).toBe('budget: tool failures 1 of 0');
    expect(model.calls).toBe(1);
    await eventually(async () => expect(kinds(events, 'restarted')).toEqual(['team/agent']));
  });

  it('repairs an invalid answer with the schema error, within maxRepairs', async () => {
    const { sys, audit } = await start();
    const model = scriptedModel([
      'Sure! The sum is 3.',
      '```json\n{"sum":"3"}\n```',
      '```json\n{"sum":3}\n```',
    ]);
    const A = defineAgent({ type: 'a', model, instructions: 'x', output: Sum });
    const out = await sys.ask(sys.spawn(A, { name: 'a' }), 'run', { input: '1+2' }, { timeout: T });
    expect(out).toEqual({ sum: 3 });
    const repair1 = model.requests[1]!.messages.at(-1) as ChatMessage;
    expect(repair1.role).toBe('user');
    expect(repair1.content).toContain('not JSON');
    const repair2 = model.requests[2]!.messages.at(-1) as ChatMessage;
    expect(repair2.content).toMatch(/sum: .*expected number/i);
    expect(of(audit, 'output.invalid')).toHaveLength(2);
  });

  it('fails into supervision when repairs run out: the asker gets ActorFailed, the restart is counted', async () => {
    const { sys, events } = await start();
    const model = scriptedModel(['not json'], { loop: true });
    const A = sumAgent({ model, maxRepairs: 2 });
    const team = await spawnTeam(sys, A as AgentDef);
    expect((await failedRun(sys)).reason).toMatch(
      /^invalid output after 2 repair turns: the answer is not JSON/,
    );
    expect(model.calls).toBe(3);
    await eventually(async () => {
      const kids = await sys.ask(team, 'whichChildren', {}, { timeout: T });
      expect(kids[0]).toMatchObject({ id: 'agent', status: 'running', restarts: 1 });
      expect(kids[0]!.lastFailure).toMatch(/^invalid output after 2 repair turns/);
    });
    expect(kinds(events, 'crashed')).toEqual(['team/agent']);
  });

  it('budget: tokens spent mid-run fail the run; the supervisor restarts, then gives up past its intensity', async () => {
    const { sys, events } = await start();
    const model = scriptedModel(
      [
        {
          toolCalls: [{ name: 'add', args: { a: 1, b: 1 } }],
          usage: { inputTokens: 40, outputTokens: 20 },
        },
      ],
      { loop: true },
    );
    const A = sumAgent({ model, tools: [add], budget: { tokens: 50 } });
    await spawnTeam(sys, A as AgentDef, 1);
    expect((await failedRun(sys)).reason).toBe('budget: tokens 60 of 50');
    expect(model.calls).toBe(1);
    await eventually(async () => expect(kinds(events, 'restarted')).toEqual(['team/agent']));
    expect((await failedRun(sys)).reason).toBe('budget: tokens 60 of 50');
    // Second failure within the period: intensity 1 is spent, the supervisor gives up.
    await eventually(async () => expect(kinds(events, 'gaveUp')).toContain('team'));
    await eventually(async () => expect(sys.lookup('team')).toBeUndefined());
  });

  it('budget: cost by an overridden price table', async () => {
    const { sys, audit } = await start();
    const model = scriptedModel(
      [
        {
          toolCalls: [{ name: 'add', args: { a: 1, b: 1 } }],
          usage: { inputTokens: 10, outputTokens: 0 },
        },
      ],
      { loop: true, id: 'house-model-v2' },
    );
    const A = sumAgent({
      model,
      tools: [add],
      prices: { 'house-model': { inputPerMTok: 1_000_000, outputPerMTok: 0 } },
      budget: { costUsd: 5 },
    });
    await spawnTeam(sys, A as AgentDef);
    expect((await failedRun(sys)).reason).toBe('budget: cost $10.000000 of $5');
    expect(of(audit, 'budget.exceeded')[0]!.data).toMatchObject({
      reason: 'cost $10.000000 of $5',
    });
  });

  it('budget: tool calls — a batch that would pass the limit does not run', async () => {
    const { sys } = await start();
    let ran = 0;
    const counted = tool({
      name: 'add',
      description: 'Add',
      input: z.object({ a: z.number(), b: z.number() }),
      run: () => ++ran,
    });
    const model = scriptedModel([
      { toolCalls: [{ name: 'add', args: { a: 1, b: 1 } }] },
      {
        toolCalls: [
          { name: 'add', args: { a: 1, b: 1 } },
          { name: 'add', args: { a: 1, b: 1 } },
        ],
      },
    ]);
    const A = sumAgent({ model, tools: [counted], budget: { toolCalls: 2 } });
    await spawnTeam(sys, A as AgentDef);
    expect((await failedRun(sys)).reason).toBe('budget: tool calls 3 of 2');
    expect(ran).toBe(1);
  });

  it('budget: wall time — the tool sees its signal abort, the run fails before another model call', async () => {
    const { sys } = await start();
    const waits = tool({
      name: 'wait',
      description: 'Waits until aborted',
      input: z.object({}),
      run: (_a, ctx) =>
        new Promise((_res, rej) => {
          ctx.signal.addEventListener('abort', () => rej(new Error('aborted')), { once: true });
        }),
    });
    const model = scriptedModel([{ toolCalls: [{ name: 'wait', args: {} }] }], { loop: true });
    const A = sumAgent({ model, tools: [waits], budget: { wallMs: 200 } });
    await spawnTeam(sys, A as AgentDef);
    expect((await failedRun(sys)).reason).toMatch(/^budget: wall time \d+ ms of 200 ms$/);
    // One model call; two when the abort timer fired a millisecond before the wall clock said
    // the time was up (timers run on a monotonic clock), never more.
    expect(model.calls).toBeGreaterThanOrEqual(1);
    expect(model.calls).toBeLessThanOrEqual(2);
  });

  // Room for a loaded 2-core box: the budget fires at 1.5 s; the limits only bound a hang.
  it('budget: wall time aborts a model request in flight, and fails the run', {
    timeout: 90_000,
  }, async () => {
    const { sys } = await start();
    const srv: ModelServer = await startModelServer([{ hang: true }]);
    closers.push(() => srv.close());
    const A = sumAgent({
      model: openAICompatible({ baseURL: srv.url, model: 'gpt-4o-mini', apiKey: 'k' }),
      budget: { wallMs: 1500 },
    });
    await spawnTeam(sys, A as AgentDef);
    const e = await failedRun(sys, { timeout: 6 * T });
    expect(e.reason).toMatch(/^budget: wall time \d+ ms of 1500 ms$/);
    // Whatever reached the server was aborted (on a loaded machine the abort may even come
    // before the request arrives), and no second request followed.
    await eventually(async () => expect(srv.aborted).toBe(srv.seen.length));
    expect(srv.seen.length).toBeLessThanOrEqual(1);
  });

  it('a subtree budget is shared by the agents under a supervisor; spent, the supervisor gives up', async () => {
    const { sys, events } = await start();
    const mk = (type: string) =>
      sumAgent({
        type,
        model: scriptedModel(
          [{ toolCalls: [{ name: 'add', args: { a: 1, b: 1 } }] }, '{"sum":2}'],
          { loop: true },
        ),
        tools: [add],
      });
    const A = mk('a');
    const B = mk('b');
    const Team = defineSupervisor({
      type: 'team',
      strategy: 'one_for_one',
      intensity: 2,
      period: 60,
      children: [
        { id: 'a', start: { def: A } },
        { id: 'b', start: { def: B } },
      ],
    });
    sys.spawn(Team, { name: 'team' });
    await sys.whenQuiescent();
    const budget = subtreeBudget(sys, 'team', { modelCalls: 3 });
    closers.push(() => budget.close());
    expect(() => subtreeBudget(sys, 'team', {})).toThrow(InvalidArgument);
    expect(await sys.ask(at<typeof A>('team/a'), 'run', { input: 'x' }, { timeout: T })).toEqual({
      sum: 2,
    });
    expect((await failedRun(sys, { path: 'team/b' })).reason).toBe(
      'budget: subtree team: model calls 3 of 3',
    );
    expect(budget.usage()).toMatchObject({ modelCalls: 3, toolCalls: 2 });
    // Every agent under it now fails at once; restarts cannot help, so the supervisor gives up.
    for (const p of ['team/a', 'team/b']) {
      await eventually(async () => {
        const r = await sys
          .ask(at<typeof A>(p), 'run', { input: 'x' }, { timeout: T })
          .catch((x: unknown) => x);
        expect(r).toBeInstanceOf(Error);
      });
    }
    await eventually(async () => expect(kinds(events, 'gaveUp')).toContain('team'));
  });

  it("the ask's deadline reaches the HTTP request: aborted, no further model calls, no crash", async () => {
    const { sys, events, audit } = await start();
    const srv: ModelServer = await startModelServer([{ hang: true }]);
    closers.push(() => srv.close());
    const A = defineAgent({
      type: 'a',
      model: openAICompatible({ baseURL: srv.url, model: 'gpt-4o-mini', apiKey: 'k' }),
      instructions: 'x',
      output: Sum,
    });
    const ref = sys.spawn(A, { name: 'a' });
    const e = await sys.ask(ref, 'run', { input: 'x' }, { timeout: 1500 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Timeout);
    await eventually(async () => expect(srv.aborted).toBe(srv.seen.length));
    await eventually(async () => {
      expect((await sys.ask(ref, 'stats', {}, { timeout: T })).runs).toBe(1);
    });
    expect(srv.seen.length).toBeLessThanOrEqual(1);
    expect(of(audit, 'model.call')).toHaveLength(1);
    expect(of(audit, 'model.call')[0]!.data).toMatchObject({ outcome: 'aborted' });
    expect(of(audit, 'run.deadline')).toHaveLength(1);
    expect(kinds(events, 'crashed')).toEqual([]);
  });

  it('memory survives a crash through the snapshot: the restarted agent still knows the first run', async () => {
    const { sys, events } = await start();
    const seen: ModelRequest[] = [];
    const model = scriptedModel(
      [
        '{"sum":42}',
        'garbage', // run 2: invalid, no repairs → crash
        (req) => {
          seen.push(req);
          return '{"sum":43}';
        },
      ],
      {},
    );
    const A = sumAgent({ model, memory: true, maxRepairs: 0 });
    const team = await spawnTeam(sys, A as AgentDef);
    const ref = at<typeof A>('team/agent');
    await sys.ask(ref, 'run', { input: 'remember 42' }, { timeout: T });
    await failedRun(sys, { input: 'say garbage' });
    await eventually(async () => {
      const kids = await sys.ask(team, 'whichChildren', {}, { timeout: T });
      expect(kids[0]!.restarts).toBe(1);
    });
    expect(kinds(events, 'restarted')).toEqual(['team/agent']);
    await sys.ask(ref, 'run', { input: 'what was it?' }, { timeout: T });
    const users = seen[0]!.messages.filter((m) => m.role === 'user').map((m) => m.content);
    expect(users).toEqual(['remember 42', 'what was it?']);
    const mem = await sys.ask(ref, 'memory', {}, { timeout: T });
    expect(mem.messages.map((m) => m.content)).toEqual([
      'remember 42',
      '{"sum":42}',
      'what was it?',
      '{"sum":43}',
    ]);
  });

  it('memory stays bounded: older turns are summarized past the token limit', async () => {
    const { sys, audit } = await start();
    const summaries: number[] = [];
    const model = scriptedModel([(req) => JSON.stringify({ sum: req.messages.length })], {
      loop: true,
    });
    const A = defineAgent({
      type: 'a',
      model,
      instructions: 'x',
      output: Sum,
      memory: {
        maxMessages: 6,
        maxTokens: 60,
        summarize: (older, prev) => {
          summaries.push(older.length);
          return `${prev ?? ''}[${older.length} messages]`;
        },
      },
    });
    const ref = sys.spawn(A, { name: 'a' });
    for (let i = 0; i < 8; i++) {
      await sys.ask(ref, 'run', { input: `turn ${i} ${'words '.repeat(20)}` }, { timeout: T });
    }
    const mem = await sys.ask(ref, 'memory', {}, { timeout: T });
    expect(mem.messages.length).toBeLessThanOrEqual(6);
    expect(mem.messages[0]!.role).toBe('user');
    expect(summaries.length).toBeGreaterThan(0);
    expect(mem.summary).toMatch(/^\[\d+ messages\]/);
    expect(of(audit, 'memory.compacted').length).toBeGreaterThan(0);
    // The summary goes to the model as context.
    const last = model.requests.at(-1)!.messages;
    expect(last[1]).toMatchObject({ role: 'system' });
    expect(last[1]!.content).toMatch(/^Summary of the earlier conversation: \[\d+ messages\]/);
  });

  it('takes inputs by tell, streams when asked to, and answers text outputs as text', async () => {
    const { sys } = await start();
    const model = scriptedModel(['Hello there'], { loop: true });
    const A = defineAgent({
      type: 'greeter',
      model,
      instructions: 'Greet.',
      output: z.string(),
      stream: true,
    });
    const ref = sys.spawn(A, { name: 'g' });
    sys.tell(ref, 'input', { input: { name: 'Ada' } });
    expect(await sys.ask(ref, 'run', { input: 'hi' }, { timeout: T })).toBe('Hello there');
    expect((await sys.ask(ref, 'stats', {}, { timeout: T })).runs).toBe(2);
    expect(model.requests[0]!.messages.at(-1)).toEqual({ role: 'user', content: '{"name":"Ada"}' });
    expect(model.requests[0]!.output).toBeUndefined();
  });

  it('an agent is a tool of another agent (actorTool), here', async () => {
    const { sys } = await start();
    const Inner = sumAgent({ type: 'inner', model: scriptedModel(['{"sum":5}'], { loop: true }) });
    const inner = sys.spawn(Inner, { name: 'inner' });
    const askInner = actorTool(inner, 'run', {
      name: 'ask_inner',
      description: 'Ask inner',
      input: z.object({ input: z.string() }),
    });
    const Outer = callsOnce(askInner, { input: '2+3' }, (answer) => answer, 'outer');
    expect(
      await sys.ask(sys.spawn(Outer, { name: 'outer' }), 'run', { input: 'go' }, { timeout: T }),
    ).toEqual({ sum: 5 });
  });

  it('checks its definition and its messages', async () => {
    const model = scriptedModel([]);
    expect(() => defineAgent({ type: 'bad type', model, instructions: 'x', output: Sum })).toThrow(
      InvalidArgument,
    );
    expect(() =>
      defineAgent({ type: 'a', model: {} as never, instructions: 'x', output: Sum }),
    ).toThrow(/model/);
    expect(() => defineAgent({ type: 'a', model, instructions: 'x', output: {} as never })).toThrow(
      /output/,
    );
    expect(() =>
      defineAgent({ type: 'a', model, instructions: 'x', output: Sum, tools: [add, add] }),
    ).toThrow(/two tools/);
    expect(() =>
      defineAgent({ type: 'a', model, instructions: 'x', output: Sum, budget: { tokens: -1 } }),
    ).toThrow(/budget: tokens/);
    expect(() =>
      defineAgent({ type: 'a', model, instructions: 'x', output: Sum, memory: { maxMessages: 1 } }),
    ).toThrow(/maxMessages/);
    expect(() =>
      tool({ name: 'has space', description: 'd', input: z.object({}), run: () => 1 }),
    ).toThrow(/tool name/);
    expect(() => tool({ name: 'ok', description: '', input: z.object({}), run: () => 1 })).toThrow(
      /description/,
    );
    expect(() => tool({ name: 'ok', description: 'd', input: {} as never, run: () => 1 })).toThrow(
      /zod schema/,
    );
    const { sys } = await start();
    const ref = sys.spawn(defineAgent({ type: 'a', model, instructions: 'x', output: Sum }), {
      name: 'a',
    });
    await expect(
      sys.ask(ref, 'run', { input: 'x', extra: 1 } as never, { timeout: T }),
    ).rejects.toThrow(/rejected/);
    // A model with no step left is a crash with a clear reason (an unsupervised actor stops).
    const e = await sys.ask(ref, 'run', { input: 'x' }, { timeout: T }).catch((x: unknown) => x);
    expect((e as ActorFailed).reason).toMatch(/scripted model scripted has no step 1/);
  });

  it('is shardable like any actor: runs sent to the type reach an instance', async () => {
    const { sys } = await start();
    const A = sumAgent({
      type: 'pool',
      model: scriptedModel([(_req, n) => JSON.stringify({ sum: n })], { loop: true }),
    });
    sys.spawn(A, { name: 'p1', shard: true });
    sys.spawn(A, { name: 'p2', shard: true });
    const any = shardRef<P<typeof A>>('agents', 'pool');
    const outs = await Promise.all(
      [1, 2, 3, 4].map((i) => sys.ask(any, 'run', { input: `job ${i}` }, { timeout: T })),
    );
    expect(outs.map((o) => typeof o.sum)).toEqual(['number', 'number', 'number', 'number']);
  });

  it('works beside plain actors: an actor tool reaching a non-agent actor', async () => {
    const { sys } = await start();
    const Store = defineActor({
      type: 'store',
      state: () => ({ v: 7 }),
      asks: { get: { request: z.object({ key: z.string() }), reply: z.number() } },
      handle: { get: (s, _m, ctx) => ctx.reply(s.v) },
    });
    const store = sys.spawn(Store, { name: 'store' });
    const get = actorTool(store, 'get', {
      name: 'get',
      description: 'Read',
      input: z.object({ key: z.string() }),
    });
    const A = callsOnce(get, { key: 'x' }, (value) => `{"sum": ${value}}`);
    expect(
      await sys.ask(sys.spawn(A, { name: 'a' }), 'run', { input: 'x' }, { timeout: T }),
    ).toEqual({ sum: 7 });
  });
});
