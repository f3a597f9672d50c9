import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addSignatures,
  formatNote,
  type NoteSignature,
  openNote,
  parseNote,
  verifierFromVkey,
} from '../../protocols/checkpoint/index.ts';
import { writeFileAtomic } from './store/index.ts';

/**
 * Witness cosignatures the ledger collected, beside the store's own files:
 *  - `witnessed`: the newest checkpoint at least one witness cosigned, with the log's signatures
 *    and every witness line collected for it (replaced atomically);
 *  - `witness-vkeys`: the vkeys of the witnesses that answered, one per line.
 * Both are evidence for verifiers (`troupe ledger verify` uses the note as a checkpoint the log
 * must contain), not inputs the ledger trusts: a verifier should hold the witness vkeys out of band.
 */
export const WITNESSED_FILE = 'witnessed';
export const WITNESS_VKEYS_FILE = 'witness-vkeys';

export function readWitnessed(dir: string): string | undefined {
  const p = join(dir, WITNESSED_FILE);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

export function readWitnessVkeys(dir: string): string[] {
  const p = join(dir, WITNESS_VKEYS_FILE);
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

const key = (s: NoteSignature) => `${s.name}\u0000${s.keyId}`;

/**
 * Take a witness's answer for one of the ledger's checkpoints: the signature lines the witness
 * added, each checked against the witness's vkeys. Throws if the answer is not that checkpoint or
 * a line does not verify.
 */
export function witnessLines(
  ourNote: string,
  answered: string,
  witnessVkeys: readonly string[],
): NoteSignature[] {
  const ours = parseNote(ourNote);
  const theirs = parseNote(answered);
  if (theirs.text !== ours.text) throw new Error('the witness answered another checkpoint');
  const known = new Set(ours.signatures.map(key));
  const added = theirs.signatures.filter((s) => !known.has(key(s)));
  if (added.length === 0) throw new Error('the witness added no signature');
  const verifiers = witnessVkeys.map((v) => verifierFromVkey(v));
  // Every added line must come from the witness's keys and verify.
  openNote(formatNote(ours.text, added), verifiers, { requireAll: true });
  for (const s of added) {
    if (!verifiers.some((v) => v.name === s.name && v.keyId === s.keyId)) {
      throw new Error(`signature line from an unknown key ${s.name}`);
    }
  }
  return added;
}

/** Record witness lines for `note`: merged with what `witnessed` holds for the same checkpoint. */
export async function storeWitnessed(
  dir: string,
  note: string,
  lines: readonly NoteSignature[],
  witnessVkeys: readonly string[],
): Promise<string> {
  const current = readWitnessed(dir);
  let base = note;
  if (current !== undefined) {
    try {
      if (parseNote(current).text === parseNote(note).text) base = current;
    } catch {
      // A damaged file is replaced by the fresh note.
    }
  }
  const have = new Set(parseNote(base).signatures.map(key));
  const merged = addSignatures(
    base,
    lines.filter((l) => !have.has(key(l))),
  );
  await writeFileAtomic(join(dir, WITNESSED_FILE), merged);
  const vk = readWitnessVkeys(dir);
  const fresh = witnessVkeys.filter((v) => !vk.includes(v));
  if (fresh.length > 0) {
    await writeFileAtomic(join(dir, WITNESS_VKEYS_FILE), `${[...vk, ...fresh].join('\n')}\n`);
  }
  return merged;
}
