// Defaults every system started through troupe's public API or CLI gets (kept out of
// runtime/, which knows nothing of the built-in actors).
import { type AgentProcessLauncher, processLauncher } from '../actors/process/index.ts';
import { Watchdog } from '../actors/watchdog/index.ts';
import { ActorSystem } from '../runtime/index.ts';

ActorSystem.defaultWatchdog ??= Watchdog as unknown as typeof ActorSystem.defaultWatchdog;

// Children with `start.process` run as OS processes (actors/process), configured from the
// environment when the system options name no launcher of their own.
let processes: AgentProcessLauncher | undefined;
ActorSystem.defaultProcessLauncher ??= {
  spawn: (req) => {
    processes ??= processLauncher();
    return processes.spawn(req);
  },
};
