import type { z } from 'zod';
import { describeIssues, InvalidArgumentError } from './errors.ts';

/**
 * Parse a public entry point's options (or any input) with a zod schema. An invalid value is one
 * InvalidArgumentError naming what was parsed and every field at fault:
 * `${what}: ${path}: ${message}; …` (no path for the value itself); the ZodError is its `cause`.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new InvalidArgumentError(`${what}: ${describeIssues(r.error.issues)}`, {
    cause: r.error,
  });
}
