import type { z } from 'zod';
import { decodeBody } from '../../protocols/envelope/index.ts';

/**
 * A control-plane message body checked against its schema. Bytes that are not MessagePack
 * fail the same way as a body of the wrong shape: another node's word is never trusted.
 */
export function parseControlBody<S extends z.ZodType>(
  schema: S,
  data: Uint8Array,
): z.ZodSafeParseResult<z.output<S>> {
  let v: unknown;
  try {
    v = decodeBody(data);
  } catch {
    v = undefined;
  }
  return schema.safeParse(v);
}
