import { chown, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * An agent's own directory: `<root>/<path segments>` unless the spec names one; created
 * (mode 0700, owned by the agent's uid when it has one), wiped first when the policy says so.
 */
export async function prepareWorkspace(
  root: string,
  path: string,
  o: { dir?: string; policy?: 'keep' | 'wipe'; uid?: number; gid?: number },
): Promise<string> {
  const dir = resolve(o.dir ?? join(root, ...path.split('/')));
  if (o.policy === 'wipe') await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (o.uid !== undefined) await chown(dir, o.uid, o.gid ?? o.uid);
  return dir;
}
