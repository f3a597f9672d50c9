import type { Cell } from '../cell.ts';
import type { FailurePhase } from '../cell-types.ts';
import { Hung } from '../errors.ts';
import type { RuntimeEvent } from '../events.ts';
import { KernelService } from '../kernel-service.ts';
import { Letter, LetterKind } from '../letter.ts';
import { traceIdOf } from '../trace.ts';
import { isSupervisorDef } from './child-spec.ts';
import { defaultDirective } from './default-directive.ts';
import { type Child, type SupervisionMsg, SYS_SUPERVISION } from './supervision-host.ts';
import { type SupervisorState, superviseIn } from './supervisor.ts';

/**
 * What a child's failure or exit tells its parent, as a supervision system message (or, for a
 * child hosted for another node, an exit report), and how the parent runs it: the supervisor
 * engine for supervisors, the default directive for plain actors.
 */
export class ExitNotices extends KernelService {
  private get state(): 'running' | 'shutting-down' | 'down' {
    return this.k.lifecycle.state;
  }
  private emit(e: RuntimeEvent): void {
    this.k.emit(e);
  }

  onFailure(cell: Cell, reason: string, error: unknown, phase: FailurePhase): void {
    const hung = error instanceof Hung;
    this.log.error(
      { actor: cell.path, err: error, phase, trace_id: traceIdOf(cell.ctx?.letter?.trace ?? null) },
      hung ? 'actor hung' : phase === 'start' ? 'start failed' : 'handler failed',
    );
    const at = Date.now();
    if (hung) this.emit({ kind: 'hung', path: cell.path, reason, at });
    this.emit({ kind: 'crashed', path: cell.path, reason, at });
    cell.suspend(reason);
    this.tellParent(cell, { t: 'exit', child: cell, reason, abnormal: true, phase });
  }

  onSelfStop(cell: Cell, reason: string): void {
    this.exited(cell, reason);
  }

  exited(cell: Cell, reason: string): void {
    this.tellParent(cell, { t: 'exit', child: cell, reason, abnormal: false, phase: 'exit' });
  }

  escalate(cell: Cell, reason: string): void {
    if (cell === this.root || cell.stopped) return;
    this.onFailure(cell, reason, new Error(reason), 'message');
  }

  private tellParent(cell: Cell, m: SupervisionMsg): void {
    const remoteSup = cell.opts?.remote;
    if (remoteSup && m.t === 'exit') {
      this.k.remote?.reportExit(cell, remoteSup.node, m.reason, m.abnormal, m.phase);
      return;
    }
    const parent = cell.parent ?? this.root;
    if (parent.stopped || this.state === 'down') return;
    parent.enqueueSystem(new Letter(LetterKind.system, SYS_SUPERVISION, m, null, null, 0, null, 0));
  }

  supervise(cell: Cell, msg: unknown): Promise<unknown> | undefined {
    const m = msg as SupervisionMsg;
    const run = isSupervisorDef(cell.def)
      ? superviseIn(cell, cell.state as SupervisorState, m)
      : defaultDirective(cell, m);
    return run?.catch((err: unknown) => {
      this.log.error({ actor: cell.path, err }, 'supervision failed');
    });
  }

  childExited(
    supervisor: Cell,
    child: Child,
    reason: string,
    abnormal: boolean,
    phase: 'start' | 'message' | 'exit',
  ): void {
    if (supervisor.stopped || this.state === 'down') return;
    const m: SupervisionMsg = { t: 'exit', child, reason, abnormal, phase };
    supervisor.enqueueSystem(
      new Letter(LetterKind.system, SYS_SUPERVISION, m, null, null, 0, null, 0),
    );
  }
}
