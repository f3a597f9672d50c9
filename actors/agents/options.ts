import type { z } from 'zod';
import { InvalidArgument } from '../../runtime/index.ts';

/** Parse options with a zod schema; an invalid one is one clear error naming the field. */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const i = parsed.error.issues[0]!;
  const at = i.path.length > 0 ? `${i.path.map(String).join('.')}: ` : '';
  throw new InvalidArgument(`${what}: ${at}${i.message}`, { cause: parsed.error });
}
