import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AddCheckpointRequest,
  addSignatures,
  ed25519Cosigner,
  type KeyedSigner,
  type KeyedVerifier,
  mldsa44Cosigner,
  type NoteSignature,
  openNote,
  parseCheckpoint,
  parseNote,
  SignatureType,
  verifierFromVkey,
  vkeyOf,
} from '../../../protocols/checkpoint/index.ts';
import {
  EMPTY_ROOT,
  equalHashes,
  MerkleProofError,
  verifyConsistency,
} from '../../../protocols/merkle/index.ts';
import { loadOrCreateSeed } from '../store/index.ts';
import {
  WitnessBadRequestError,
  WitnessConflictError,
  WitnessForkError,
  WitnessRollbackError,
  WitnessSignatureError,
  WitnessUnknownLogError,
} from './errors.ts';
import { loadWitnessState, saveWitnessState, type WitnessRecord } from './witness-state.ts';

/** A log the witness follows: its origin and the vkeys whose signatures it requires. */
export interface WitnessedLog {
  origin: string;
  /** Every one of these must have signed a checkpoint (e.g. the log's Ed25519 and ML-DSA-44). */
  vkeys: readonly string[];
}

export interface WitnessOptions {
  /** Folder for the witness's state file (and keys, unless keysDir says otherwise). */
  dir: string;
  /** The witness's key name, e.g. witness.example.internal/w1. */
  name: string;
  logs: readonly WitnessedLog[];
  keysDir?: string;
  /** Clock in ms for cosignature timestamps. */
  now?: () => number;
  /** Seeds instead of key files (tests, external secret stores). */
  seeds?: { ed25519: Uint8Array; mldsa44: Uint8Array };
}

export interface Cosigned {
  /** The witness's signature lines (Ed25519 cosignature/v1, then ML-DSA-44). */
  signatures: NoteSignature[];
  /** The submitted note with those lines added. */
  note: string;
}

export interface Witness {
  readonly name: string;
  /** The witness's vkeys: type 0x04 (Ed25519 cosignature/v1) and 0x06 (ML-DSA-44). */
  readonly vkeys: readonly string[];
  /**
   * c2sp.org/tlog-witness add-checkpoint: cosign only a checkpoint that extends the one last
   * cosigned for its log, proven by a consistency proof from that size; persist it first.
   */
  addCheckpoint(req: AddCheckpointRequest): Promise<Cosigned>;
  /** The latest checkpoint cosigned for a log. */
  latest(origin: string): WitnessRecord | undefined;
}

export const WITNESS_STATE_FILE = 'witness-state.json';

/** Start a witness: load its state and keys (generated, mode 0600, on first use). */
export function createWitness(options: WitnessOptions): Witness {
  mkdirSync(options.dir, { recursive: true });
  const statePath = join(options.dir, WITNESS_STATE_FILE);
  const keysDir = options.keysDir ?? join(options.dir, 'keys');
  const seeds = options.seeds ?? {
    ed25519: loadOrCreateSeed(
      join(keysDir, 'witness-ed25519.skey'),
      options.name,
      SignatureType.ed25519Cosignature,
    ),
    mldsa44: loadOrCreateSeed(
      join(keysDir, 'witness-mldsa44.skey'),
      options.name,
      SignatureType.mldsa44,
    ),
  };
  const cosignOpts = options.now ? { now: options.now } : {};
  const signers: KeyedSigner[] = [
    ed25519Cosigner(options.name, seeds.ed25519, cosignOpts),
    mldsa44Cosigner(options.name, seeds.mldsa44, cosignOpts),
  ];
  const logs = new Map<string, KeyedVerifier[]>(
    options.logs.map((l) => [l.origin, l.vkeys.map((v) => verifierFromVkey(v))]),
  );
  const state = loadWitnessState(statePath);
  let queue: Promise<unknown> = Promise.resolve();

  const check = async (req: AddCheckpointRequest): Promise<Cosigned> => {
    let text: string;
    let cp: ReturnType<typeof parseCheckpoint>;
    try {
      text = parseNote(req.checkpoint).text;
      cp = parseCheckpoint(text);
    } catch (err) {
      throw new WitnessBadRequestError('the request does not carry a signed checkpoint', {
        cause: err,
      });
    }
    const verifiers = logs.get(cp.origin);
    if (!verifiers) throw new WitnessUnknownLogError(cp.origin);
    try {
      openNote(req.checkpoint, verifiers, { requireAll: true });
    } catch (err) {
      throw new WitnessSignatureError(`checkpoint lacks a valid signature from ${cp.origin}`, {
        cause: err,
      });
    }
    const known = state.get(cp.origin) ?? { size: 0n, root: EMPTY_ROOT };
    if (cp.size < known.size) throw new WitnessRollbackError(known.size, cp.size);
    if (req.oldSize > cp.size) {
      throw new WitnessBadRequestError(
        `old size ${req.oldSize} is beyond the checkpoint's ${cp.size}`,
      );
    }
    if (req.oldSize !== known.size) throw new WitnessConflictError(known.size);
    if (cp.size === 0n && !equalHashes(cp.root, EMPTY_ROOT)) {
      throw new WitnessForkError('a checkpoint of size 0 must have the empty root');
    }
    if (known.size === 0n || known.size === cp.size) {
      if (req.proof.length > 0) throw new WitnessForkError('this step needs an empty proof');
      if (known.size === cp.size && !equalHashes(known.root, cp.root)) {
        throw new WitnessForkError(`fork: two roots for size ${cp.size}`);
      }
    } else {
      try {
        verifyConsistency(known.size, cp.size, req.proof, known.root, cp.root);
      } catch (err) {
        if (err instanceof MerkleProofError) {
          throw new WitnessForkError(
            `fork: no consistency from the cosigned size ${known.size} to ${cp.size}`,
            { cause: err },
          );
        }
        throw err;
      }
    }
    // Persist before the cosignature exists: a crash must never let this witness sign twice
    // for one size, or sign a smaller tree later.
    const next = new Map(state);
    next.set(cp.origin, { size: cp.size, root: cp.root });
    await saveWitnessState(statePath, next);
    state.set(cp.origin, { size: cp.size, root: cp.root });
    const body = Buffer.from(text);
    const signatures = signers.map((s) => ({
      name: s.name,
      keyId: s.keyId,
      signature: s.sign(body),
    }));
    return { signatures, note: addSignatures(req.checkpoint, signatures) };
  };

  return {
    name: options.name,
    vkeys: signers.map((s) => vkeyOf(s)),
    addCheckpoint(req) {
      // Check-then-persist is atomic: requests run one at a time (see tlog-witness on the race).
      const run = queue.then(() => check(req));
      queue = run.catch(() => {});
      return run;
    },
    latest: (origin) => state.get(origin),
  };
}
