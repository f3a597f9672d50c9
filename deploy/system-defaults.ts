// The system troupe's public API and CLI start: the runtime's ActorSystem with the defaults
// that need the built-in actors, passed explicitly as options (runtime/ knows nothing of
// actors/). Nothing is set on import: a system behaves the same whichever modules were
// loaded; only the class it was started through decides. The watchdog needs nothing here:
// it is a kernel service (runtime/watchdog-actor.ts), on in every system.
import { type AgentProcessLauncher, processLauncher } from '../actors/process/index.ts';
import {
  type ProcessLauncher,
  ActorSystem as RuntimeSystem,
  type SystemOptions,
} from '../runtime/index.ts';

// Children with `start.process` run as OS processes (actors/process), configured from the
// environment on first use, unless the system options name a launcher of their own.
let processes: AgentProcessLauncher | undefined;
const defaultLauncher: ProcessLauncher = {
  spawn: (req) => {
    processes ??= processLauncher();
    return processes.spawn(req);
  },
};

/** `options` with troupe's defaults filled in where they name none. */
export function withSystemDefaults(options: SystemOptions): SystemOptions {
  if (typeof options !== 'object' || options === null) return options;
  return { ...options, processes: options.processes ?? defaultLauncher };
}

/** The runtime's ActorSystem, started with troupe's defaults (withSystemDefaults). */
export class ActorSystem extends RuntimeSystem {
  static override start(options: SystemOptions): Promise<RuntimeSystem> {
    return RuntimeSystem.start(withSystemDefaults(options));
  }
}
