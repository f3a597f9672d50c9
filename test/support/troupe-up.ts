// Most CLI tests need a running system to talk to: a `troupe up` node in its own process,
// started before the test's body and stopped however the body ends.
import { spawnTs, stopChild } from './processes.ts';

export type UpNode = Awaited<ReturnType<typeof spawnTs>>;

/** Runs `troupe up <args…>` (quiet, ready once it says `serving`) for the length of `body`. */
export async function withTroupeUp<T>(
  args: string[],
  env: NodeJS.ProcessEnv,
  body: (node: UpNode) => Promise<T>,
  readyTimeoutMs?: number,
): Promise<T> {
  const node = await spawnTs('bin/troupe.js', ['up', ...args], {
    env: { ...env, TROUPE_LOG_LEVEL: 'silent' },
    ready: /serving/,
    ...(readyTimeoutMs === undefined ? {} : { readyTimeoutMs }),
  });
  try {
    return await body(node);
  } finally {
    await stopChild(node);
  }
}
