import { type AgentCard, type Message, type Task, TaskState } from '@a2a-js/sdk';
import { type Client, ClientFactory } from '@a2a-js/sdk/client';
import { z } from 'zod';
import {
  type AskOptions,
  defineActor,
  InvalidArgument,
  Stopped,
  Timeout,
  TransportError,
  TroupeError,
} from '../../../runtime/index.ts';
import { type AnyTool, TOOL_NAME, type ToolContext } from '../../agents/tool.ts';
import { InputRequired } from '../input-required.ts';
import { partsValue, userMessage } from './parts.ts';
import { sendRequest } from './send-request.ts';

/** A remote A2A task ended failed, canceled or rejected. */
export class A2ATaskError extends TroupeError {
  readonly code = 'A2ATaskError';
  constructor(
    readonly url: string,
    readonly taskId: string,
    readonly state: string,
    reason: string,
  ) {
    super(`A2A task ${taskId} at ${url} ${state}: ${reason}`);
  }
  override get detail(): unknown {
    return { url: this.url, taskId: this.taskId, state: this.state };
  }
}

export interface A2AAgentOptions {
  /** Sent as `Authorization: Bearer …`. */
  readonly token?: string;
  readonly apiKey?: { readonly header: string; readonly key: string };
  /** The skill to address (`metadata.skill`); default the agent's first. */
  readonly skill?: string;
  /** Default deadline of a run, ms (default 5 minutes). */
  readonly timeoutMs?: number;
}

const Options = z
  .object({
    token: z.string().min(1).optional(),
    apiKey: z.object({ header: z.string().min(1), key: z.string().min(1) }).optional(),
    skill: z.string().min(1).optional(),
    timeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
  })
  .strict();

export interface RunOptions {
  /** Absolute deadline (epoch ms); past it the task is canceled and the run throws Timeout. */
  readonly deadline?: number;
  /** Aborting cancels the remote task. */
  readonly signal?: AbortSignal;
  /** Continue a task that asked for input (from InputRequired's data). */
  readonly taskId?: string;
  readonly contextId?: string;
}

/**
 * A remote A2A agent as troupe sees it: `run(input)` and `ask('run', { input })` send a
 * message and follow the task to its end; `tool()` makes it an agent tool; `actor` is a
 * definition to spawn as a local stand-in actor (a pattern member, a supervised child).
 */
export interface A2AAgent {
  readonly url: string;
  card(): Promise<AgentCard>;
  run(input: unknown, opts?: RunOptions): Promise<unknown>;
  ask(type: 'run', body: { input: unknown }, opts: AskOptions): Promise<unknown>;
  tool(opts?: { name?: string; description?: string }): Promise<AnyTool>;
}

function deadlineOf(opts: AskOptions): number {
  return 'deadline' in opts ? opts.deadline : Date.now() + opts.timeout;
}

const TERMINAL = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
  TaskState.TASK_STATE_INPUT_REQUIRED,
  TaskState.TASK_STATE_AUTH_REQUIRED,
]);

class RemoteAgent implements A2AAgent {
  private client: Promise<Client> | null = null;
  private readonly headers: Record<string, string> = {};

  constructor(
    readonly url: string,
    private readonly opts: A2AAgentOptions,
  ) {
    if (opts.token) this.headers.Authorization = `Bearer ${opts.token}`;
    if (opts.apiKey) this.headers[opts.apiKey.header] = opts.apiKey.key;
  }

  private connect(): Promise<Client> {
    this.client ??= new ClientFactory().createFromUrl(this.url).catch((err: Error): never => {
      this.client = null;
      throw new TransportError(`no A2A agent card at ${this.url}: ${err.message}`);
    });
    return this.client;
  }

  async card(): Promise<AgentCard> {
    return (await this.connect()).getAgentCard();
  }

  ask(type: 'run', body: { input: unknown }, opts: AskOptions): Promise<unknown> {
    if (type !== 'run')
      return Promise.reject(new InvalidArgument(`an A2A agent answers run, not ${String(type)}`));
    return this.run(body?.input, { deadline: deadlineOf(opts) });
  }

  async run(input: unknown, opts: RunOptions = {}): Promise<unknown> {
    if (input === undefined) throw new InvalidArgument('a run needs an input');
    const client = await this.connect();
    const started = Date.now();
    const deadline = opts.deadline ?? started + (this.opts.timeoutMs ?? 300_000);
    const req = sendRequest(
      userMessage(input, {
        taskId: opts.taskId,
        contextId: opts.contextId,
        metadata: this.opts.skill ? { skill: this.opts.skill } : undefined,
      }),
    );
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ac.abort(), Math.max(0, deadline - Date.now()));
    let task: Task | null = null;
    let state = TaskState.TASK_STATE_SUBMITTED;
    let status: Message | undefined;
    let output: unknown;
    try {
      for await (const ev of client.sendMessageStream(req, {
        signal: ac.signal,
        serviceParameters: this.headers,
      })) {
        const p = ev.payload;
        if (!p) continue;
        if (p.$case === 'message') return partsValue(p.value.parts);
        if (p.$case === 'task') {
          task = p.value;
          state = p.value.status?.state ?? state;
          status = p.value.status?.message;
          const art = p.value.artifacts.at(-1);
          if (art) output = partsValue(art.parts);
        } else if (p.$case === 'statusUpdate') {
          state = p.value.status?.state ?? state;
          status = p.value.status?.message;
          task ??= { id: p.value.taskId, contextId: p.value.contextId } as Task;
        } else if (p.$case === 'artifactUpdate' && p.value.artifact) {
          output = partsValue(p.value.artifact.parts);
        }
        if (TERMINAL.has(state)) break;
      }
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    const id = task?.id ?? '';
    if (ac.signal.aborted && !TERMINAL.has(state)) {
      // Past the deadline, or aborted: the remote task must not run on.
      if (id)
        await client
          .cancelTask({ tenant: '', id, metadata: undefined }, { serviceParameters: this.headers })
          .catch(() => {});
      if (opts.signal?.aborted) throw new Stopped(`${this.url} task ${id}`, 'canceled');
      throw new Timeout(this.url, 'run', Math.max(0, deadline - started));
    }
    const reason = status ? String(partsValue(status.parts) ?? '') : '';
    switch (state) {
      case TaskState.TASK_STATE_COMPLETED:
        return output ?? null;
      case TaskState.TASK_STATE_INPUT_REQUIRED:
      case TaskState.TASK_STATE_AUTH_REQUIRED:
        throw new InputRequired(reason || 'the agent needs more input', {
          taskId: id,
          contextId: task?.contextId ?? '',
        });
      default:
        throw new A2ATaskError(
          this.url,
          id,
          TaskState[state] ?? String(state),
          reason || 'no reason given',
        );
    }
  }

  async tool(opts: { name?: string; description?: string } = {}): Promise<AnyTool> {
    const card = await this.card();
    const name = opts.name ?? card.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
    if (!TOOL_NAME.test(name))
      throw new InvalidArgument(`tool name ${JSON.stringify(name)} is not 1-64 of A-Za-z0-9_-`);
    return {
      name,
      description: opts.description ?? (card.description || `the A2A agent ${card.name}`),
      input: z.object({ input: z.string().min(1).describe('what to ask the agent') }),
      run: (args: { input: string }, ctx: ToolContext) =>
        this.run(args.input, { deadline: ctx.deadline, signal: ctx.signal }),
    };
  }
}

/** A handle on the A2A agent at `url` (its base URL: the card is at `.well-known/agent-card.json`). */
export function a2aAgent(url: string, opts: A2AAgentOptions = {}): A2AAgent {
  if (typeof url !== 'string' || !URL.canParse(url))
    throw new InvalidArgument(`a2aAgent needs a URL (got ${JSON.stringify(url)})`);
  const o = Options.safeParse(opts);
  if (!o.success)
    throw new InvalidArgument(
      `a2aAgent: ${o.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return new RemoteAgent(url, opts);
}

/**
 * A local actor standing in for a remote A2A agent: its `run` ask becomes an A2A task (the
 * ask's deadline is the task's; past it the task is canceled). Spawn it with
 * `{ url, ...options }` to use the remote agent wherever an actor ref goes.
 */
export const A2AAgentActor = defineActor({
  type: 'a2a-agent',
  state: (args: { url: string } & A2AAgentOptions) => ({
    agent: a2aAgent(args.url, (({ url: _, ...o }) => o)(args)),
  }),
  asks: {
    run: { request: z.object({ input: z.unknown() }), reply: z.unknown() },
  },
  handle: {
    run: (s, m, ctx) => {
      const r = ctx.deferReply();
      s.agent
        .run(m.input, { deadline: ctx.deadline > 0 ? ctx.deadline : Date.now() + 300_000 })
        .then(
          (v) => r.reply(v),
          (e: Error) => r.fail(e),
        );
    },
  },
});
