import { TroupeError } from '../../runtime/index.ts';

/** A pattern's options are wrong: named field, what was expected. Raised when it is defined. */
export { InvalidArgumentError as InvalidPatternError } from '../../runtime/index.ts';

/** A fan-out gathered fewer results than it needs (more failures than it tolerates). */
export class GatherFailedError extends TroupeError {
  readonly code = 'GatherFailed';
  constructor(
    readonly pattern: string,
    readonly failures: readonly { member: string; error: string }[],
    message: string,
  ) {
    super(message, { detail: { pattern, failures } });
  }
}

/** A planner's plan does not fit the team: bad shape, unknown capability, cyclic dependencies. */
export class InvalidPlanError extends TroupeError.withCode('InvalidPlan') {}

/** A router's triage named no route the router has (and there is no fallback). */
export class NoRouteError extends TroupeError {
  readonly code = 'NoRoute';
  constructor(
    readonly pattern: string,
    readonly route: string,
  ) {
    super(`${pattern}: triage chose route ${JSON.stringify(route)}, which does not exist`, {
      detail: { pattern, route },
    });
  }
}

/** A loop ran out of rounds before its critic approved. */
export class LoopExhaustedError extends TroupeError {
  readonly code = 'LoopExhausted';
  constructor(
    readonly pattern: string,
    readonly rounds: number,
    readonly lastVerdict: unknown,
  ) {
    super(`${pattern}: not approved after ${rounds} rounds`, {
      detail: { pattern, rounds, lastVerdict },
    });
  }
}

/** A peer network found no peer to do the task, or every awarded peer failed it. */
export class NoPeerError extends TroupeError.withCode('NoPeer') {}
