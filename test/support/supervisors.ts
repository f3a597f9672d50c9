import {
  type ActorSystem,
  type ChildSpec,
  defineSupervisor,
  type SupervisorFlags,
} from '../../runtime/index.ts';

/**
 * A supervisor of `children` with the restart budget most tests give one (one_for_one, 5
 * restarts in 10 s): a test names only the flags it is about.
 */
export function supervisorOf(
  type: string,
  children: readonly ChildSpec[],
  flags: Partial<SupervisorFlags> = {},
) {
  return defineSupervisor({
    type,
    strategy: 'one_for_one',
    intensity: 5,
    period: 10,
    ...flags,
    children,
  });
}

/** Spawn `supervisorOf(name, children, flags)` as `name` and wait until its children run. */
export async function spawnSupervisor(
  system: ActorSystem,
  name: string,
  children: readonly ChildSpec[],
  flags: Partial<SupervisorFlags> = {},
) {
  const ref = system.spawn(supervisorOf(name, children, flags), { name });
  await system.whenQuiescent();
  return ref;
}
