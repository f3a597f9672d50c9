import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { authenticate } from '../../actors/interop/a2a/auth.ts';
import {
  dataPart,
  partsOf,
  partsValue,
  requestOf,
  textPart,
} from '../../actors/interop/a2a/parts.ts';
import {
  A2AAuthSchema,
  InputRequired,
  inputRequiredOf,
  mcpToolDefs,
  ServedAgent,
} from '../../actors/interop/index.ts';
import { fromWireError, toWireError } from '../../runtime/errors.ts';
import { ActorSystem, defineActor, InvalidArgument, RemoteError } from '../../runtime/index.ts';
import { StandIn } from '../support/interop-agents.ts';

let system: ActorSystem;
beforeAll(async () => {
  system = await ActorSystem.start({ name: 'iu', logLevel: 'silent' });
});
afterAll(async () => {
  await system.shutdown({ timeoutMs: 2000 });
});

const TOKEN = 'a-token-0123456789abcdef';
const KEY = 'a-key-0123456789abcdef';
const auth = { bearer: [TOKEN], apiKey: { header: 'X-API-Key', keys: [KEY] } };

describe('A2A authentication', () => {
  it('accepts the configured token or key, and nothing else', () => {
    expect(authenticate(auth, { authorization: `Bearer ${TOKEN}` })).toBe('bearer');
    expect(authenticate(auth, { 'x-api-key': KEY })).toBe('api-key');
    expect(authenticate(auth, {})).toBeNull();
    expect(authenticate(auth, { authorization: `Basic ${TOKEN}` })).toBeNull();
    expect(authenticate(undefined, {})).toBe('anonymous');
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (guess) => {
        fc.pre(guess !== TOKEN && guess !== KEY);
        expect(
          authenticate(auth, { authorization: `Bearer ${guess}`, 'x-api-key': guess }),
        ).toBeNull();
      }),
    );
  });

  it('refuses weak or malformed credentials in the options', () => {
    expect(A2AAuthSchema.safeParse({ bearer: ['short'] }).success).toBe(false);
    expect(A2AAuthSchema.safeParse({ apiKey: { header: 'bad header', keys: [KEY] } }).success).toBe(
      false,
    );
    expect(A2AAuthSchema.safeParse({ other: 1 }).success).toBe(false);
  });
});

describe('A2A parts', () => {
  it('round-trips any JSON value through parts', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const back = partsValue(partsOf(v));
        expect(back).toEqual(v ?? null);
      }),
    );
  });

  it('joins text parts and prefers a data part', () => {
    expect(partsValue([textPart('a'), textPart('b')])).toBe('a\nb');
    expect(partsValue([textPart('a'), dataPart({ x: 1 })])).toEqual({ x: 1 });
    expect(partsValue([])).toBeNull();
  });

  it('picks the skill from metadata and builds its request', () => {
    const agent = new ServedAgent(system, { ref: { system: 'iu', path: 'x' }, def: StandIn });
    const msg = (parts: ReturnType<typeof textPart>[], metadata?: Record<string, unknown>) =>
      ({
        messageId: 'm',
        contextId: '',
        taskId: '',
        role: 1,
        parts,
        metadata,
        extensions: [],
        referenceTaskIds: [],
      }) as never;
    expect(requestOf(agent, msg([textPart('hi')])).request).toEqual({ input: 'hi' });
    expect(requestOf(agent, msg([textPart('{"a":1,"b":2}')], { skill: 'add' })).request).toEqual({
      a: 1,
      b: 2,
    });
    expect(requestOf(agent, msg([dataPart({ a: 1, b: 2 })], { skill: 'add' })).request).toEqual({
      a: 1,
      b: 2,
    });
    expect(() => requestOf(agent, msg([textPart('x')], { skill: 'nope' }))).toThrow(
      InvalidArgument,
    );
    expect(() => requestOf(agent, msg([]))).toThrow(/no text or data part/);
  });
});

describe('served agents and MCP tool definitions', () => {
  it('refuses a bad target', () => {
    expect(() => new ServedAgent(system, { ref: { system: '', path: '' } } as never)).toThrow(
      InvalidArgument,
    );
    expect(
      () =>
        new ServedAgent(system, {
          ref: { system: 'iu', path: 'x' },
          def: StandIn,
          asks: ['missing'],
        }),
    ).toThrow(/no ask missing/);
  });

  it('serves run with any input when there is no definition', () => {
    const a = new ServedAgent(system, { ref: { system: 'iu', path: 'team/lead' } });
    expect(a.name).toBe('lead');
    expect(a.skills.map((s) => s.ask)).toEqual(['run']);
    expect(a.skills[0]?.isRun).toBe(true);
  });

  it('wraps non-object requests and replies, and hides interop', () => {
    const Odd = defineActor({
      type: 'odd',
      state: () => ({}),
      asks: {
        run: {
          request: z.object({
            input: z.string(),
            interop: z.object({ runId: z.string() }).optional(),
          }),
          reply: z.string(),
        },
        count: { request: z.number(), reply: z.array(z.number()) },
      },
      handle: { run: (_s, _m, ctx) => ctx.reply(''), count: (_s, _m, ctx) => ctx.reply([]) },
    });
    const [run, count] = mcpToolDefs([
      new ServedAgent(system, { ref: { system: 'iu', path: 'odd' }, def: Odd }),
    ]);
    expect(run?.name).toBe('odd');
    expect(run?.inputSchema.properties).not.toHaveProperty('interop');
    expect(run?.wrapsOutput).toBe(true);
    expect(count?.name).toBe('odd_count');
    expect(count?.wrapsInput).toBe(true);
    expect(count?.inputSchema).toEqual({
      type: 'object',
      properties: { request: { type: 'number' } },
      required: ['request'],
    });
  });

  it('refuses two tools with one name', () => {
    const a = new ServedAgent(system, { ref: { system: 'iu', path: 'a' }, def: StandIn });
    expect(() => mcpToolDefs([a, a])).toThrow(/two MCP tools/);
  });
});

describe('InputRequired', () => {
  it('crosses the wire as itself: code, prompt and data', () => {
    const e = new InputRequired('approve?', { env: 'prod' });
    const back = fromWireError(toWireError(e));
    expect(back).toBeInstanceOf(RemoteError);
    expect(back.code).toBe('InputRequired');
    expect(inputRequiredOf(back)).toEqual({ prompt: 'approve?', data: { env: 'prod' } });
    expect(inputRequiredOf(new Error('x'))).toBeNull();
    expect(inputRequiredOf(null)).toBeNull();
  });
});
