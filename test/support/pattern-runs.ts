// Starting a pattern team and asking it for a run, as the pattern tests do on one node and over
// NATS. Each team gets a fresh name, so a test may start several on one system.
import type { PatternDef } from '../../actors/patterns/index.ts';
import type { ActorRef, ActorSystem } from '../../index.ts';

type PatternRef = ActorRef<NonNullable<PatternDef['__protocol']>>;

/** `system` is read at each call: the tests start a system per test or per file. */
export function patternRuns(system: () => ActorSystem, defaultTimeoutMs: number) {
  let seq = 0;
  return {
    /** Spawns `def` as team<n> and waits until it has started. */
    async start(def: PatternDef): Promise<ActorRef> {
      const sys = system();
      const ref = sys.spawn(def, { name: `team${++seq}` });
      await sys.started(ref);
      return ref;
    },
    /** Asks the team to run `input`. */
    run(ref: ActorRef, input: unknown, timeout = defaultTimeoutMs): Promise<unknown> {
      return system().ask(ref as PatternRef, 'run', { input }, { timeout });
    },
  };
}
