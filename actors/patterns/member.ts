import { z } from 'zod';
import {
  type ActorRef,
  type AskContext,
  backoffDelay,
  InvalidArgument,
  isShardRef,
  NoSuchActor,
  type Protocol,
  type Ref,
  Rejected,
  Timeout,
} from '../../runtime/index.ts';

/**
 * The one contract every team member keeps: an ask `run` whose request is `{ input }` and whose
 * reply is the output. An agent keeps it, so does every pattern, so patterns nest.
 */
export const RunAsk = {
  request: z.object({ input: z.unknown() }),
  reply: z.unknown(),
};
export type RunProtocol = Protocol<Record<never, never>, { run: typeof RunAsk }>;

/** An actor definition a pattern can spawn as a member (what defineActor and the patterns return). */
export interface MemberDef {
  readonly type: string;
  readonly entries: object;
}

/** A member as a pattern is given it: a ref (local or on another node), or a definition to spawn as a child. */
export type Member =
  | Ref
  | MemberDef
  | {
      readonly def: MemberDef;
      /** Path segment of the child; from the definition's type by default. */
      readonly name?: string;
      readonly args?: unknown;
    };

/** Retries of one member call: `attempts` tries in all, with doubling backoff between them. */
export interface RetryPolicy {
  readonly attempts?: number;
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** How a pattern calls a member: a per-call timeout (never past the run's deadline) and retries. */
export interface StepPolicy {
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
}

export const RetryPolicySchema = z
  .object({
    attempts: z.number().int().min(1).max(100).optional(),
    backoffMs: z.number().int().min(0).max(600_000).optional(),
    maxBackoffMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();
export const StepPolicySchema = z
  .object({
    timeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
    retry: RetryPolicySchema.optional(),
  })
  .strict();

export function isRef(m: unknown): m is Ref {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return (
    typeof r.system === 'string' && (typeof r.path === 'string' || typeof r.shard === 'string')
  );
}

function isDef(m: unknown): m is MemberDef {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { type?: unknown }).type === 'string' &&
    typeof (m as { entries?: unknown }).entries === 'object'
  );
}

/** A member made ready to spawn or call: a ref, or a child to start under the pattern. */
export type Resolved =
  | { readonly kind: 'ref'; readonly ref: Ref; readonly label: string }
  | {
      readonly kind: 'child';
      readonly def: MemberDef;
      readonly name: string;
      readonly args: unknown;
      readonly label: string;
    };

/** Check a member and give it a label: the ref's path, or the child's name. */
export function resolveMember(m: unknown, fallbackName: string, what: string): Resolved {
  if (isRef(m)) {
    return { kind: 'ref', ref: m, label: isShardRef(m) ? `@${m.shard}` : (m as ActorRef).path };
  }
  if (isDef(m)) return childOf(m, undefined, undefined, fallbackName, what);
  if (typeof m === 'object' && m !== null && isDef((m as { def?: unknown }).def)) {
    const c = m as { def: MemberDef; name?: unknown; args?: unknown };
    return childOf(c.def, c.name, c.args, fallbackName, what);
  }
  throw new InvalidArgument(
    `${what} must be an actor ref, an actor definition or { def, name?, args? } (got ${JSON.stringify(m)})`,
  );
}

function childOf(
  def: MemberDef,
  name: unknown,
  args: unknown,
  fallback: string,
  what: string,
): Resolved {
  const n = name ?? fallback;
  if (typeof n !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(n)) {
    throw new InvalidArgument(
      `${what}: child name must be a path segment (got ${JSON.stringify(n)})`,
    );
  }
  return { kind: 'child', def, name: n, args, label: n };
}

/** The error a retry may help with: the member crashed, hung, stopped or is being restarted. */
function retriable(err: unknown, deadline: number): boolean {
  if (err instanceof Rejected || err instanceof InvalidArgument) return false;
  if (err instanceof Timeout) return Date.now() < deadline; // a per-call timeout, time left
  if (err instanceof NoSuchActor) return true; // a remote host coming back, a restart in flight
  return true;
}

/** Time left of the run (epoch ms deadline); the kernel always sets one on an ask. */
export function remaining(ctx: AskContext<unknown>): number {
  return ctx.deadline === 0 ? Number.POSITIVE_INFINITY : ctx.deadline - Date.now();
}

/**
 * Ask a member to run, under the step policy: never after the run's deadline (a member gets no
 * work once the caller has given up), retried with backoff on a crash, hang or stop.
 */
export async function callMember(
  ctx: AskContext<unknown>,
  ref: Ref,
  label: string,
  input: unknown,
  policy: StepPolicy,
  pattern: string,
): Promise<unknown> {
  const attempts = policy.retry?.attempts ?? 1;
  const backoff = {
    initialMs: policy.retry?.backoffMs ?? 50,
    maxMs: policy.retry?.maxBackoffMs ?? 2_000,
    jitter: 0,
  };
  const deadline = ctx.deadline === 0 ? Number.POSITIVE_INFINITY : ctx.deadline;
  for (let attempt = 1; ; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Timeout(ctx.self.path, `run (${label})`, 0);
    const timeout = Math.max(1, Math.min(policy.timeoutMs ?? left, left));
    try {
      return await ctx.ask(ref as Ref<RunProtocol>, 'run', { input }, { timeout });
    } catch (err) {
      const again = attempt < attempts && retriable(err, deadline);
      ctx.audit('team.member_failed', {
        pattern,
        member: label,
        attempt,
        error: err instanceof Error ? err.message : String(err),
        retry: again,
      });
      if (!again) throw err;
      const wait = Math.min(backoffDelay(backoff, attempt), Math.max(0, deadline - Date.now() - 1));
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}
