// The watchdog is a kernel service (runtime/watchdog-actor.ts); kept here for existing imports.
export { Watchdog } from '../../runtime/index.ts';
