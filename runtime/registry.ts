import type { ActorRef } from './address.ts';
import { assertToken } from './address.ts';
import { Cell } from './cell.ts';
import type { CellOptions } from './cell-types.ts';
import type { SpawnableDef, SpawnOptions } from './context.ts';
import { type ActorDef, defineActor } from './define-actor.ts';
import { InvalidArgument, Stopped } from './errors.ts';
import type { Kernel } from './kernel.ts';
import { mailboxSettings } from './mailbox-settings.ts';
import type { Protocol } from './protocol.ts';
import { isActorDef } from './system-options.ts';
import type { Transport } from './transport/transport.ts';
import type { WatchdogBinding } from './watchdog-binding.ts';

const RootDef = defineActor({ type: 'root', state: () => null, handle: {} });

/** The cells of this process by path, the instances of each sharded type, and actor names. */
export class Registry {
  readonly cells = new Map<string, Cell>();
  private readonly shards = new Map<string, Cell[]>();
  private readonly shardNext = new Map<string, number>();
  /** The hidden root all top-level actors hang from. */
  readonly root: Cell;
  private nameCounter = 0;

  constructor(private readonly k: Kernel) {
    this.root = new Cell(k, RootDef as ActorDef, '', null, undefined, null);
  }

  private get transport(): Transport {
    return this.k.transport;
  }
  private get watchdog(): WatchdogBinding {
    return this.k.children.watchdog;
  }

  /** The ref of a local actor, if one lives at `path`. */
  lookup<P extends Protocol = Protocol>(path: string): ActorRef<P> | undefined {
    const c = this.cells.get(path);
    return c && !c.stopped ? (c.ref as ActorRef<P>) : undefined;
  }

  /** Local actor paths, in no particular order (for tools). */
  paths(): string[] {
    return [...this.cells.keys()];
  }

  spawnChild(
    parent: Cell,
    def: SpawnableDef<unknown, unknown, Protocol>,
    opts?: SpawnOptions<unknown>,
  ): ActorRef {
    if (!isActorDef(def)) throw new InvalidArgument('spawn needs a definition made by defineActor');
    if (parent.stopped) throw new Stopped(parent.path, 'is stopping: cannot spawn children');
    if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
      throw new InvalidArgument('spawn options must be an object');
    }
    const name = opts?.name ?? `${def.type}-${++this.nameCounter}`;
    assertToken('actor name', name);
    if (parent === this.root && name === 'sys') {
      throw new InvalidArgument('the top-level name "sys" is reserved for the runtime');
    }
    let cellOpts: CellOptions | null = null;
    if (opts?.mailbox !== undefined || opts?.shard) {
      const mb = mailboxSettings(opts.mailbox, def.mailbox);
      cellOpts = { ...mb, shard: opts.shard === true, child: null };
    }
    return this.spawnAt(parent, def, name, opts?.args, cellOpts, false).ref;
  }

  spawnAt(
    parent: Cell,
    def: ActorDef,
    name: string,
    args: unknown,
    cellOpts: CellOptions | null,
    system: boolean,
  ): Cell {
    // Runtime actors live under the reserved top-level name `sys`.
    const path = parent === this.root ? (system ? `sys/${name}` : name) : `${parent.path}/${name}`;
    if (this.cells.has(path)) throw new InvalidArgument(`an actor already lives at ${path}`);
    const cell = new Cell(this.k, def, path, parent, args, cellOpts);
    this.cells.set(path, cell);
    parent.addChild(cell);
    const shard = cellOpts?.shard === true;
    if (shard) {
      let list = this.shards.get(def.type);
      if (!list) {
        list = [];
        this.shards.set(def.type, list);
      }
      list.push(cell);
    }
    if (this.transport.remote) this.transport.expose(path, shard ? def.type : null);
    if (this.k.events.hasListeners() || this.transport.remote) {
      this.k.emit({ kind: 'started', path, type: def.type, at: Date.now() });
    }
    cell.start();
    return cell;
  }

  cellAt(path: string): Cell | undefined {
    return this.cells.get(path);
  }

  pickShard(type: string): Cell | undefined {
    const list = this.shards.get(type);
    if (!list || list.length === 0) return undefined;
    const i = (this.shardNext.get(type) ?? 0) % list.length;
    this.shardNext.set(type, i + 1);
    return list[i];
  }

  unregister(cell: Cell): void {
    this.watchdog.unwatch(cell);
    if (this.cells.get(cell.path) === cell) this.cells.delete(cell.path);
    cell.parent?.removeChild(cell);
    const shard = cell.opts?.shard === true;
    if (shard) {
      const list = this.shards.get(cell.def.type);
      if (list) {
        const i = list.indexOf(cell);
        if (i >= 0) list.splice(i, 1);
      }
    }
    const watching = cell.ext?.watching;
    if (watching) {
      for (const p of watching) this.cells.get(p)?.removeWatcher(cell.path);
    }
    if (this.transport.remote) this.transport.unexpose(cell.path, shard ? cell.def.type : null);
  }
}
