import { z } from 'zod';
import {
  formatSignatureLine,
  MAX_NOTE_BYTES,
  MAX_PROOF_LINES,
  parseVkey,
} from '../../protocols/checkpoint/index.ts';
import { defineActor, InvalidArgument, parseOptions } from '../../runtime/index.ts';
import { createWitness, type Witness, WitnessError, type WitnessOptions } from './witness/index.ts';

/**
 * The witness as an actor (c2sp.org/tlog-witness add-checkpoint over troupe asks): it cosigns a
 * log's checkpoint only after verifying a consistency proof from the last checkpoint it cosigned,
 * and refuses a fork or a rollback. Run it in another process, on another host, with its own keys
 * (`deploy/services/witness-troupe.ts`): a ledger host that lies cannot get it to sign two histories.
 *
 * A refusal is a reply (`ok: false` with the tlog-witness HTTP status), not an exception: it is
 * the expected answer to a bad request and must not restart the witness.
 */

const U64 = /^(0|[1-9][0-9]{0,19})$/;
const B64_HASH = /^[A-Za-z0-9+/]{43}=$/;

export const AddCheckpointSchema = z
  .object({
    /** The size of the checkpoint this witness last cosigned for the log (0 at first). */
    oldSize: z
      .string()
      .regex(U64, 'a decimal u64')
      .refine((s) => BigInt(s) < 1n << 64n, 'below 2^64'),
    /** RFC 9162 consistency proof from oldSize to the checkpoint's size, base64 hashes. */
    proof: z.array(z.string().regex(B64_HASH, 'a base64 SHA-256 hash')).max(MAX_PROOF_LINES),
    /** The log's signed checkpoint note. */
    checkpoint: z.string().min(1).max(MAX_NOTE_BYTES),
  })
  .strict();

export const WitnessReplySchema = z.discriminatedUnion('ok', [
  z
    .object({
      ok: z.literal(true),
      /** The checkpoint with this witness's signature lines added. */
      note: z.string(),
      /** Just this witness's signature lines (`— name base64`). */
      cosignatures: z.array(z.string()),
      /** The witness's vkeys, so the ledger can check the lines it stores. */
      vkeys: z.array(z.string()),
    })
    .strict(),
  z
    .object({
      ok: z.literal(false),
      /** The tlog-witness answer: 400, 403, 404, 409 (stale old size or rollback), 422 (fork), 500. */
      status: z.number().int(),
      error: z.string(),
      message: z.string(),
      /** On 409: the size this witness last cosigned; resend from it. */
      knownSize: z.string().optional(),
    })
    .strict(),
]);

export type WitnessReply = z.output<typeof WitnessReplySchema>;

const InfoReply = z
  .object({
    name: z.string(),
    vkeys: z.array(z.string()),
    logs: z.array(z.object({ origin: z.string(), size: z.string(), root: z.string() }).strict()),
  })
  .strict();

const ArgsSchema = z
  .object({
    dir: z.string().min(1),
    name: z.string().min(1),
    logs: z
      .array(
        z
          .object({
            origin: z.string().min(1),
            vkeys: z.array(z.string().min(1)).min(1),
          })
          .strict(),
      )
      .min(1),
    keysDir: z.string().min(1).optional(),
    now: z.custom<() => number>((v) => typeof v === 'function', 'a clock function').optional(),
    seeds: z
      .object({ ed25519: z.instanceof(Uint8Array), mldsa44: z.instanceof(Uint8Array) })
      .strict()
      .optional(),
  })
  .strict();

export type WitnessActorArgs = WitnessOptions;

/** Check the witness's options (zod, then every vkey parses): one clear error naming the field. */
export function checkWitnessArgs(args: unknown): WitnessOptions {
  const parsed = parseOptions(ArgsSchema, args, 'witness options');
  for (const log of parsed.logs) {
    for (const v of log.vkeys) {
      try {
        parseVkey(v);
      } catch (err) {
        throw new InvalidArgument(
          `witness options: vkey for ${log.origin}: ${(err as Error).message}`,
        );
      }
    }
  }
  return parsed as WitnessOptions;
}

interface WitnessState {
  witness: Witness;
  origins: string[];
}

export const WitnessActor = defineActor({
  type: 'witness',
  state: (args: WitnessActorArgs): WitnessState => {
    const o = checkWitnessArgs(args);
    return { witness: createWitness(o), origins: o.logs.map((l) => l.origin) };
  },
  asks: {
    addCheckpoint: { request: AddCheckpointSchema, reply: WitnessReplySchema },
    info: { request: z.object({}).strict(), reply: InfoReply },
  },
  handle: {
    async addCheckpoint(s, m, ctx) {
      try {
        const res = await s.witness.addCheckpoint({
          oldSize: BigInt(m.oldSize),
          proof: m.proof.map((p) => new Uint8Array(Buffer.from(p, 'base64'))),
          checkpoint: m.checkpoint,
        });
        ctx.reply({
          ok: true,
          note: res.note,
          cosignatures: res.signatures.map((sig) => formatSignatureLine(sig)),
          vkeys: [...s.witness.vkeys],
        });
      } catch (err) {
        if (err instanceof WitnessError) {
          ctx.log.warn(
            { status: err.httpStatus, error: err.name, reason: err.message },
            'witness refused a checkpoint',
          );
          ctx.reply({
            ok: false,
            status: err.httpStatus,
            error: err.name,
            message: err.message,
            ...('knownSize' in err ? { knownSize: String(err.knownSize) } : {}),
          });
          return;
        }
        // State could not be saved (disk): nothing was cosigned; say so and let the ledger retry.
        ctx.log.error({ err }, 'witness failed');
        ctx.reply({
          ok: false,
          status: 500,
          error: (err as Error).name ?? 'Error',
          message: (err as Error).message ?? String(err),
        });
      }
    },
    info(s, _m, ctx) {
      ctx.reply({
        name: s.witness.name,
        vkeys: [...s.witness.vkeys],
        logs: s.origins.flatMap((origin) => {
          const r = s.witness.latest(origin);
          return r
            ? [{ origin, size: String(r.size), root: Buffer.from(r.root).toString('base64') }]
            : [];
        }),
      });
    },
  },
});

export type WitnessProtocol = NonNullable<(typeof WitnessActor)['__protocol']>;
