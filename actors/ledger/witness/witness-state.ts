import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { NamedError } from '../../../protocols/named-error.ts';
import { writeFileAtomic } from '../store/index.ts';

/** What a witness remembers per log: the latest checkpoint it cosigned. */
export interface WitnessRecord {
  size: bigint;
  root: Uint8Array;
}

const schema = z.object({
  version: z.literal(1),
  logs: z.record(
    z.string().min(1),
    z.object({
      size: z.string().regex(/^(0|[1-9][0-9]*)$/),
      root: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
    }),
  ),
});

export class WitnessStateError extends NamedError {}

export function loadWitnessState(path: string): Map<string, WitnessRecord> {
  const out = new Map<string, WitnessRecord>();
  if (!existsSync(path)) return out;
  let parsed: z.infer<typeof schema>;
  try {
    parsed = schema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (err) {
    throw new WitnessStateError(`witness state ${path} is unreadable; refusing to start blind`, {
      cause: err,
    });
  }
  for (const [origin, rec] of Object.entries(parsed.logs)) {
    out.set(origin, {
      size: BigInt(rec.size),
      root: new Uint8Array(Buffer.from(rec.root, 'base64')),
    });
  }
  return out;
}

/** Persist durably (tmp, fsync, rename, fsync dir) before any cosignature leaves the witness. */
export async function saveWitnessState(
  path: string,
  logs: Map<string, WitnessRecord>,
): Promise<void> {
  const body = {
    version: 1,
    logs: Object.fromEntries(
      [...logs].map(([origin, r]) => [
        origin,
        { size: r.size.toString(), root: Buffer.from(r.root).toString('base64') },
      ]),
    ),
  };
  await writeFileAtomic(path, `${JSON.stringify(body, null, 2)}\n`);
}
