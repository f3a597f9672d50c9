import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where third-party vectors live: $TROUPE_VECTORS, else ../shared/vectors beside the checkout.
 * Returns undefined when neither exists, so a suite can say so and skip.
 */
export function vectorsRoot(): string | undefined {
  const fromEnv = process.env.TROUPE_VECTORS;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TROUPE_VECTORS=${fromEnv} does not exist`);
    return resolve(fromEnv);
  }
  const beside = resolve(import.meta.dirname, '../../../shared/vectors');
  return existsSync(beside) ? beside : undefined;
}

/** Every regular file below `dir`, recursively, sorted: runners read all files, never a list of names. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}
