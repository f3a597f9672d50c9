import type { Strategy } from './child-spec.ts';

/**
 * Which children a failure touches, as indices into the supervisor's children in start
 * order: the failed one for one_for_one, all for one_for_all, the failed one and those
 * started after it for rest_for_one. Siblings are stopped in reverse order, then everything
 * touched restarts in start order.
 */
export function affected(strategy: Strategy, count: number, failed: number): number[] {
  switch (strategy) {
    case 'one_for_one':
    case 'simple_one_for_one':
      return [failed];
    case 'one_for_all':
      return Array.from({ length: count }, (_, i) => i);
    case 'rest_for_one':
      return Array.from({ length: count - failed }, (_, i) => failed + i);
  }
}

/** Exit reasons that are not failures, for `transient` children (OTP: normal, shutdown). */
export function isNormalExit(reason: string): boolean {
  return reason === 'normal' || reason === 'shutdown' || reason.startsWith('shutdown:');
}
