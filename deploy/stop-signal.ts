// Ctrl-C (SIGINT) and SIGTERM both mean "stop" to a long-running command. One place listens for
// both and takes the listener off again, so a finished command leaves none behind and a second
// Ctrl-C gets Node's default (exit) rather than a handler that no longer does anything.

/** Calls `stop` on the first SIGINT or SIGTERM; the returned function stops listening. */
export function onStopSignal(stop: (signal: NodeJS.Signals) => void): () => void {
  const off = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  const handler = (signal: NodeJS.Signals) => {
    off();
    stop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return off;
}

/** Resolves with the signal on the first SIGINT or SIGTERM. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    onStopSignal(resolve);
  });
}
