import { decodeBase64Strict, encodeBase64 } from './encoding.ts';
import { NoteFormatError } from './errors.ts';

/** A c2sp.org/tlog-witness add-checkpoint request body. */
export interface AddCheckpointRequest {
  oldSize: bigint;
  proof: Uint8Array[];
  /** The signed checkpoint note. */
  checkpoint: string;
}

/** tlog-witness: a client sends at most 63 consistency proof lines. */
export const MAX_PROOF_LINES = 63;

export function formatAddCheckpointRequest(req: AddCheckpointRequest): string {
  if (req.proof.length > MAX_PROOF_LINES) throw new NoteFormatError('more than 63 proof lines');
  const lines = [`old ${req.oldSize}`, ...req.proof.map((p) => encodeBase64(p)), ''];
  return `${lines.join('\n')}\n${req.checkpoint}`;
}

/** Parse an add-checkpoint body strictly: old line, ≤ 63 base64 hashes, blank line, the note. */
export function parseAddCheckpointRequest(body: string): AddCheckpointRequest {
  const blank = body.indexOf('\n\n');
  if (blank < 0) throw new NoteFormatError('request has no blank line before the checkpoint');
  const head = body.slice(0, blank).split('\n');
  const m = /^old (0|[1-9][0-9]*)$/.exec(head[0] ?? '');
  if (!m) throw new NoteFormatError('request must start with "old <size>"');
  const oldSize = BigInt(m[1]!);
  if (oldSize >= 1n << 64n) throw new NoteFormatError('old size beyond 2^64 − 1');
  const proofLines = head.slice(1);
  if (proofLines.length > MAX_PROOF_LINES) throw new NoteFormatError('more than 63 proof lines');
  const proof = proofLines.map((line, i) => {
    const h = decodeBase64Strict(line);
    if (h?.length !== 32) throw new NoteFormatError(`proof line ${i + 1} is not a base64 hash`);
    return h;
  });
  return { oldSize, proof, checkpoint: body.slice(blank + 2) };
}
