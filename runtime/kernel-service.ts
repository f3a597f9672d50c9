import type { Logger } from 'pino';
import type { Cell } from './cell.ts';
import type { Kernel } from './kernel.ts';
import type { NodeStats } from './node-stats.ts';
import type { RemoteControl } from './remote/remote-control.ts';
import type { Transport } from './transport/transport.ts';

/**
 * One of the kernel's named services (dead letters, lifecycle, child spawner, exit notices).
 * It reads the kernel's parts when it uses them, never a copy: the transport and the remote
 * control plane are set at start, after the services are made.
 */
export abstract class KernelService {
  constructor(protected readonly k: Kernel) {}

  protected get name(): string {
    return this.k.name;
  }
  protected get node(): string {
    return this.k.node;
  }
  protected get log(): Logger {
    return this.k.log;
  }
  protected get stats(): NodeStats {
    return this.k.stats;
  }
  protected get transport(): Transport {
    return this.k.transport;
  }
  protected get remote(): RemoteControl | null {
    return this.k.remote;
  }
  protected get root(): Cell {
    return this.k.registry.root;
  }
  protected get cells(): Map<string, Cell> {
    return this.k.registry.cells;
  }
}
