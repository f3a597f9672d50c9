import type { EventListener, RuntimeEvent } from './events.ts';
import type { Kernel } from './kernel.ts';

/** Runtime events: listeners in this process, and the event subjects when on NATS. */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly k: Kernel) {}

  /** Listen to runtime events (started, stopped, failed, restarted, deadLetter). */
  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  emit(e: RuntimeEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.k.log.error({ err }, 'event listener failed');
      }
    }
    const t = this.k.transport;
    if (t.remote && this.k.lifecycle.state !== 'down') t.publishEvent(e);
  }
}
