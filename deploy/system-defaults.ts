// The process launcher every system started through troupe's public API or CLI gets, kept
// out of runtime/ (which knows nothing of the built-in actors). The watchdog is no longer
// set here: it is a kernel service (runtime/watchdog-actor.ts), on in every system whatever
// entry point started it.
//
// The launcher is still set on import: `ActorSystem` from `troupe` must stay the very class
// `troupe/runtime` exports (test/integration/package.test.ts), so the only other way to give
// it a default is to move OS processes into the kernel. A system's own `processes` option
// always wins.
import { type AgentProcessLauncher, processLauncher } from '../actors/process/index.ts';
import { ActorSystem } from '../runtime/index.ts';

let processes: AgentProcessLauncher | undefined;
ActorSystem.defaultProcessLauncher ??= {
  spawn: (req) => {
    processes ??= processLauncher();
    return processes.spawn(req);
  },
};
