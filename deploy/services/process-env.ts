import type { z } from 'zod';
import { InvalidArgument } from '../../runtime/index.ts';

/** Parse a process's TROUPE_* settings: one clear error naming the variable. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new InvalidArgument(`${i.path.map(String).join('.') || 'environment'}: ${i.message}`);
  }
  return parsed.data;
}

/** A comma-separated list, empty items dropped. */
export function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
