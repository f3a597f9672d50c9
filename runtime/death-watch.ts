import { Kind } from '../protocols/envelope/index.ts';
import { type ActorRef, isShardRef, parseRef } from './address.ts';
import type { Cell } from './cell.ts';
import type { Terminated } from './context.ts';
import { InvalidArgument, NoSuchActor, Timeout } from './errors.ts';
import type { EventListener } from './events.ts';
import type { Kernel } from './kernel.ts';
import { Letter, LetterKind, SYS_TERMINATED } from './letter.ts';
import { PendingAsk } from './pending-ask.ts';
import type { Transport } from './transport/transport.ts';

/**
 * Death watch: an actor that watches another gets `onTerminated` when it stops, here or on
 * another node; outside code waits on `terminated(ref)`.
 */
/** The watcher key of `terminated(ref)`'s waiters: no actor path is empty. */
const WAITERS = '';

export class DeathWatch {
  /** Callers of `terminated(ref)`, by the path they wait on. */
  private readonly waiters = new Map<string, ((t: Terminated) => void)[]>();

  constructor(private readonly k: Kernel) {}

  private get name(): string {
    return this.k.name;
  }
  private get cells(): Map<string, Cell> {
    return this.k.registry.cells;
  }
  private get transport(): Transport {
    return this.k.transport;
  }
  private get wheel() {
    return this.k.router.wheel;
  }
  private get stopTimeoutMs(): number {
    return this.k.stopTimeoutMs;
  }
  private get state(): 'running' | 'shutting-down' | 'down' {
    return this.k.lifecycle.state;
  }
  private on(listener: EventListener): () => void {
    return this.k.events.on(listener);
  }

  /**
   * Resolves when a local actor stops (at once if it is not running), with the reason it
   * stopped. Cheap: a waiter on the target's watcher list, no event listener per call.
   */
  terminated(ref: ActorRef): Promise<Terminated> {
    const r = parseRef(ref);
    if (isShardRef(r)) throw new InvalidArgument('terminated needs an actor ref, not a shard ref');
    const cell = r.system === this.name ? this.cells.get(r.path) : undefined;
    if (cell === undefined || !cell.addWatcher(WAITERS)) {
      return Promise.resolve({ ref: r, reason: cell ? 'stopped' : 'noSuchActor' });
    }
    return new Promise((res) => {
      const list = this.waiters.get(r.path);
      if (list === undefined) this.waiters.set(r.path, [res]);
      else list.push(res);
    });
  }

  watchFrom(from: Cell, ref: ActorRef): void {
    const r = parseRef(ref);
    if (isShardRef(r)) throw new InvalidArgument('watch needs an actor ref, not a shard ref');
    const x = from.extras();
    (x.watching ??= new Set()).add(r.path);
    const target = this.cells.get(r.path);
    if (target !== undefined) {
      if (!target.addWatcher(from.path))
        this.notifyTerminated(from.path, { ref: r, reason: 'stopped' });
      return;
    }
    if (!this.transport.remote) {
      this.notifyTerminated(from.path, { ref: r, reason: 'noSuchActor' });
      return;
    }
    // Remote: register with the target's node; if nobody answers, it is already gone.
    const corr = this.k.router.nextCorr();
    const deadline = Date.now() + this.stopTimeoutMs;
    const pending = new PendingAsk(
      this.wheel,
      corr,
      r.path,
      '$watch',
      deadline,
      this.stopTimeoutMs,
    );
    this.wheel.trackRemote(pending);
    this.transport.send(r, Kind.system, '$watch', null, from.path, corr, deadline, null, 0);
    pending.promise.catch((err: unknown) => {
      const reason =
        err instanceof NoSuchActor
          ? 'noSuchActor'
          : err instanceof Timeout
            ? 'unreachable'
            : 'stopped';
      this.notifyTerminated(from.path, { ref: r, reason });
    });
  }

  unwatchFrom(from: Cell, ref: ActorRef): void {
    from.ext?.watching?.delete(ref.path);
    const target = this.cells.get(ref.path);
    if (target) target.removeWatcher(from.path);
    else if (this.transport.remote) {
      this.transport.send(ref, Kind.system, '$unwatch', null, from.path, null, 0, null, 0);
    }
  }

  notifyTerminated(watcher: string, t: Terminated): void {
    if (watcher === WAITERS) {
      const list = this.waiters.get(t.ref.path);
      this.waiters.delete(t.ref.path);
      if (list !== undefined) for (const res of list) res(t);
      return;
    }
    const cell = this.cells.get(watcher);
    if (cell !== undefined) {
      cell.enqueueSystem(
        new Letter(LetterKind.system, SYS_TERMINATED, t, t.ref.path, null, 0, null, 0),
      );
    } else if (this.transport.remote && this.state !== 'down') {
      this.transport.send(
        { system: this.name, path: watcher },
        Kind.system,
        SYS_TERMINATED,
        t,
        t.ref.path,
        null,
        0,
        null,
        0,
      );
    }
  }
}
