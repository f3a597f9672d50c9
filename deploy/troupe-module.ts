import type { ActorSystem } from '../runtime/index.ts';
import { InvalidArgument } from '../runtime/index.ts';

/**
 * What a user's module exports for `troupe up`: `setup` spawns the actors; `run`, when
 * present, is the job (a demo, a batch); without it the troupe serves until stopped.
 */
export interface TroupeModule {
  /** Default system name; `--system` or TROUPE_SYSTEM override it. */
  readonly name?: string;
  setup(system: ActorSystem): void | Promise<void>;
  run?(system: ActorSystem): void | Promise<void>;
}

const TROUPE = Symbol.for('troupe.module');

export function defineTroupe(m: TroupeModule): TroupeModule {
  if (typeof m !== 'object' || m === null || typeof m.setup !== 'function') {
    throw new InvalidArgument('defineTroupe needs { setup(system) { ... } }');
  }
  if (m.run !== undefined && typeof m.run !== 'function') {
    throw new InvalidArgument('defineTroupe: run must be a function');
  }
  return Object.assign(Object.create(null), m, { [TROUPE]: true }) as TroupeModule;
}

/** The troupe a loaded module exports, or a clear error naming what is missing. */
export function troupeOf(mod: unknown, file: string): TroupeModule {
  let d = (mod as { default?: unknown })?.default;
  // A CommonJS package's module, compiled by tsx, comes through import() as `{ default: exports }`.
  const inner = (d as { default?: unknown } | undefined)?.default;
  if (typeof (inner as TroupeModule | undefined)?.setup === 'function') d = inner;
  if (typeof d === 'object' && d !== null && typeof (d as TroupeModule).setup === 'function') {
    return d as TroupeModule;
  }
  throw new InvalidArgument(`${file} must export default defineTroupe({ setup(system) { ... } })`);
}
