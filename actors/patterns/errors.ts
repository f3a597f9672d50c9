import { TroupeError } from '../../runtime/index.ts';

/** A pattern's options are wrong: named field, what was expected. Raised when it is defined. */
export { InvalidArgument as InvalidPatternError } from '../../runtime/index.ts';

/** A fan-out gathered fewer results than it needs (more failures than it tolerates). */
export class GatherFailedError extends TroupeError {
  readonly code = 'GatherFailed';
  override readonly name = 'GatherFailedError';
  constructor(
    readonly pattern: string,
    readonly failures: readonly { member: string; error: string }[],
    message: string,
  ) {
    super(message);
  }
  override get detail(): unknown {
    return { pattern: this.pattern, failures: this.failures };
  }
}

/** A planner's plan does not fit the team: bad shape, unknown capability, cyclic dependencies. */
export class InvalidPlanError extends TroupeError {
  readonly code = 'InvalidPlan';
  override readonly name = 'InvalidPlanError';
}

/** A router's triage named no route the router has (and there is no fallback). */
export class NoRouteError extends TroupeError {
  readonly code = 'NoRoute';
  override readonly name = 'NoRouteError';
  constructor(
    readonly pattern: string,
    readonly route: string,
  ) {
    super(`${pattern}: triage chose route ${JSON.stringify(route)}, which does not exist`);
  }
  override get detail(): unknown {
    return { pattern: this.pattern, route: this.route };
  }
}

/** A loop ran out of rounds before its critic approved. */
export class LoopExhaustedError extends TroupeError {
  readonly code = 'LoopExhausted';
  override readonly name = 'LoopExhaustedError';
  constructor(
    readonly pattern: string,
    readonly rounds: number,
    readonly lastVerdict: unknown,
  ) {
    super(`${pattern}: not approved after ${rounds} rounds`);
  }
  override get detail(): unknown {
    return { pattern: this.pattern, rounds: this.rounds, lastVerdict: this.lastVerdict };
  }
}

/** A peer network found no peer to do the task, or every awarded peer failed it. */
export class NoPeerError extends TroupeError {
  readonly code = 'NoPeer';
  override readonly name = 'NoPeerError';
}
