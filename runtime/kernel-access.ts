import type { Kernel } from './kernel.ts';

// Not part of the public API (runtime/index.ts does not export it): the narrow door for the
// few built-in parts outside runtime/ that need a kernel hook (telemetry walks the cells, an
// agent process hosts its child). A WeakMap, so the facade has no public member for it; kept
// under a global symbol because a user module loaded by the CLI's TypeScript loader has its
// own copy of the runtime's modules, and its telemetry may watch the CLI's system.
const KEY = Symbol.for('troupe.kernels');
const kernels: WeakMap<object, Kernel> = sharedMap();

function sharedMap(): WeakMap<object, Kernel> {
  const existing: unknown = Reflect.get(globalThis, KEY);
  if (existing instanceof WeakMap) return existing;
  const m = new WeakMap<object, Kernel>();
  Reflect.set(globalThis, KEY, m);
  return m;
}

/** Called once by ActorSystem's constructor. */
export function registerKernel(system: object, kernel: Kernel): void {
  kernels.set(system, kernel);
}

/** The kernel behind a system started by ActorSystem.start. */
export function kernelOf(system: object): Kernel {
  const k = kernels.get(system);
  if (k === undefined) throw new TypeError('not a system started by ActorSystem.start');
  return k;
}
