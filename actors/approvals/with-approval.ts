import type { Protocol } from '../../runtime/index.ts';
import { type ActorRef, type Sender, TroupeError } from '../../runtime/index.ts';
import type { AnyTool, Tool } from '../agents/tool.ts';
import type { GateAsks } from './approval-gate.ts';

type GateProtocol = Protocol<Record<never, never>, typeof GateAsks>;

/** A gated tool call was rejected, or its wait for approval ran out. */
export class ApprovalDeniedError extends TroupeError {
  readonly code = 'ApprovalDenied';
  constructor(
    readonly id: string,
    readonly status: string,
  ) {
    super(`approval ${id} was ${status}: the action did not run`);
  }
  override get detail(): unknown {
    return { id: this.id, status: this.status };
  }
}

/**
 * A tool that declares `needsApproval` runs only after the gate approves the call; others are
 * returned as they are. `sender` is whoever calls the tool (an agent's context).
 */
export function withApproval<I, O>(
  tool: Tool<I, O>,
  gate: ActorRef,
  sender: Sender,
  opts: { approvers?: string[]; quorum?: number; timeoutMs?: number } = {},
): Tool<I, O> {
  if (!tool.needsApproval) return tool;
  return {
    ...tool,
    async run(args, ctx) {
      const d = await sender.ask(
        gate as ActorRef<GateProtocol>,
        'request',
        {
          action: `tool ${tool.name}`,
          summary: JSON.stringify(args).slice(0, 2000),
          ...(opts.approvers ? { approvers: opts.approvers } : {}),
          ...(opts.quorum ? { quorum: opts.quorum } : {}),
          ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        },
        { deadline: ctx.deadline },
      );
      if (d.status !== 'approved') throw new ApprovalDeniedError(d.id, d.status);
      return tool.run(args, ctx);
    },
  };
}

export type { AnyTool };
