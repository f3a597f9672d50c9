import { z } from 'zod';
import { MESH_ID_LENGTH } from '../../protocols/mesh/index.ts';

/** `bytes` bytes as lowercase hex: how the site files store keys and the mesh id. */
export const hexBytes = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));

/** The fields every site file (identity.json, roster.json) starts with: format and mesh. */
export const SITE_FILE_HEADER = { version: z.literal(1), meshId: hexBytes(MESH_ID_LENGTH) };

/**
 * A site file's text as its schema's data. Text that is not JSON, or not the schema, is thrown as
 * `invalid(where)`: `where` is the path of the first issue, or `json` when there is none.
 */
export function parseSiteFile<T>(
  text: string,
  schema: z.ZodType<T>,
  invalid: (where: string) => Error,
): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw invalid(parsed.error.issues[0]?.path.join('.') || 'json');
  return parsed.data;
}
