import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  type ActorRef,
  type ActorSystem,
  type AskMap,
  InvalidArgument,
  type ProtocolOf,
  Stopped,
  type TellMap,
} from '../../runtime/index.ts';
import {
  type InteropMeta,
  type ProgressListener,
  type ProgressRelay,
  type RelayListeners,
  spawnRelay,
} from './progress.ts';

/** The part of an actor definition a server reads: its type and its messages. */
export interface ServableDef {
  readonly type: string;
  readonly asks: AskMap;
  readonly tells?: TellMap;
}

/**
 * An agent, a team or any actor to serve over A2A or MCP. "An agent" is any actor with an ask
 * `run` whose request is `{ input }` and whose reply is the output; its other asks become
 * further skills (A2A) or tools (MCP).
 */
export interface ServeTarget {
  readonly ref: ActorRef;
  /** Its definition: skills and schemas come from its asks. Without one: `run` with any input. */
  readonly def?: ServableDef;
  /** Shown to clients; default the definition's type, else the last path segment. */
  readonly name?: string;
  readonly description?: string;
  readonly version?: string;
  /** Asks to expose, by name; default every ask of the definition. */
  readonly asks?: readonly string[];
  /** Longest a run may take, ms (default 10 minutes): the deadline of the ask. */
  readonly timeoutMs?: number;
}

export const ServeTargetSchema = z.object({
  ref: z.object({ system: z.string().min(1), path: z.string().min(1) }),
  def: z
    .object({ type: z.string().min(1), asks: z.record(z.string(), z.unknown()) })
    .loose()
    .optional(),
  name: z.string().min(1).max(128).optional(),
  description: z.string().max(4096).optional(),
  version: z.string().min(1).max(64).optional(),
  asks: z.array(z.string().min(1)).min(1).optional(),
  timeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
});

export interface Skill {
  /** The ask it calls. */
  readonly ask: string;
  readonly description: string;
  readonly request: z.ZodType;
  readonly reply: z.ZodType;
  /** The `run` ask: its request is `{ input }`. */
  readonly isRun: boolean;
  /** Its request declares `interop`: the run gets its id and the progress relay. */
  readonly wantsMeta: boolean;
}

export interface CallOptions {
  /** Aborting stops waiting; the actor is told `cancel { runId }` if it declares that tell. */
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  /** The run id (A2A task id, MCP request id); generated when absent. */
  readonly runId?: string;
  /** Absolute deadline (epoch ms); default now + the target's timeoutMs. */
  readonly deadline?: number;
}

type RelayProtocol = ProtocolOf<typeof ProgressRelay>;

const ANY_RUN = {
  request: z.object({ input: z.unknown() }),
  reply: z.unknown(),
};

/**
 * The actor as interop servers see it: its skills, and one way to call them with a
 * deadline, progress and cancellation. Shared by the A2A server, the MCP server and the
 * A2A-over-NATS endpoint, so all three behave the same.
 */
export class ServedAgent {
  readonly name: string;
  readonly description: string;
  readonly version: string;
  readonly skills: readonly Skill[];
  private readonly timeoutMs: number;
  private readonly listeners: RelayListeners = new Map();
  private relay: ActorRef | null = null;
  private readonly cancelTell: boolean;

  constructor(
    readonly system: ActorSystem,
    readonly target: ServeTarget,
  ) {
    const parsed = ServeTargetSchema.safeParse(target);
    if (!parsed.success) {
      throw new InvalidArgument(
        `serve target: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    const def = target.def;
    this.name = target.name ?? def?.type ?? target.ref.path.split('/').pop()!;
    this.description = target.description ?? `troupe actor ${target.ref.path}`;
    this.version = target.version ?? '1.0.0';
    this.timeoutMs = target.timeoutMs ?? 600_000;
    const asks: AskMap = def ? def.asks : { run: ANY_RUN };
    const names = target.asks ?? Object.keys(asks).sort((a, b) => rank(a) - rank(b));
    this.skills = names.map((ask) => {
      const spec = asks[ask];
      if (!spec) throw new InvalidArgument(`serve target ${this.name} has no ask ${ask}`);
      const shape = shapeOf(spec.request);
      return {
        ask,
        description:
          spec.request.description ?? (ask === 'run' ? this.description : `${ask} of ${this.name}`),
        request: spec.request,
        reply: spec.reply,
        isRun: ask === 'run' && shape !== null && 'input' in shape,
        wantsMeta: shape !== null && 'interop' in shape,
      };
    });
    this.cancelTell = def?.tells !== undefined && 'cancel' in def.tells;
  }

  skill(ask: string): Skill | undefined {
    return this.skills.find((s) => s.ask === ask);
  }

  /** Spawn the progress relay; call once before serving. */
  start(): void {
    if (this.relay) return;
    const name = `interop-progress-${randomBytes(4).toString('hex')}`;
    this.relay = spawnRelay(this.system, name, this.listeners);
  }

  async close(): Promise<void> {
    const r = this.relay;
    this.relay = null;
    this.listeners.clear();
    if (r) await this.system.stop(r).catch(() => {});
  }

  /** Ask the actor; resolves with its reply, rejects with its typed error. */
  async call(skill: Skill, request: unknown, opts: CallOptions = {}): Promise<unknown> {
    const runId = opts.runId ?? randomBytes(8).toString('hex');
    let body = request;
    if (skill.wantsMeta && this.relay && typeof request === 'object' && request !== null) {
      const interop: InteropMeta = { runId, progressTo: this.relay.path };
      body = { ...request, interop };
    }
    if (opts.onProgress) this.listeners.set(runId, opts.onProgress);
    const deadline = opts.deadline ?? Date.now() + this.timeoutMs;
    const asked = this.system.ask(this.target.ref, skill.ask, body as never, { deadline });
    try {
      const settled = opts.signal ? abortable(asked, opts.signal, () => this.cancel(runId)) : asked;
      return await settled.finally(() => this.drain(skill, opts));
    } finally {
      this.listeners.delete(runId);
    }
  }

  /**
   * The run told its progress to the relay before it replied; the relay may not have handled
   * it yet. One ask through the relay's mailbox delivers those reports before the result.
   */
  private async drain(skill: Skill, opts: CallOptions): Promise<void> {
    if (!skill.wantsMeta || !opts.onProgress || !this.relay) return;
    await this.system
      .ask(this.relay as ActorRef<RelayProtocol>, 'flush', {}, { timeout: 2_000 })
      .catch(() => {});
  }

  private cancel(runId: string): void {
    if (!this.cancelTell) return;
    try {
      this.system.tell(this.target.ref, 'cancel', { runId } as never);
    } catch {
      // The actor is gone: nothing left to cancel.
    }
  }
}

/** `run` first, then the rest in their declared order. */
function rank(ask: string): number {
  return ask === 'run' ? 0 : 1;
}

function shapeOf(schema: z.ZodType): Record<string, unknown> | null {
  return schema instanceof z.ZodObject ? (schema.shape as Record<string, unknown>) : null;
}

function abortable<T>(p: Promise<T>, signal: AbortSignal, onAbort: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      onAbort();
      reject(new Stopped('run', 'canceled'));
    };
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}
