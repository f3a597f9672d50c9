import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createWitness,
  type Ledger,
  WITNESS_STATE_FILE,
  WitnessBadRequestError,
  WitnessConflictError,
  WitnessForkError,
  WitnessRollbackError,
  WitnessSignatureError,
  WitnessUnknownLogError,
} from '../../actors/ledger/index.ts';
import {
  formatAddCheckpointRequest,
  formatCheckpoint,
  openNote,
  parseAddCheckpointRequest,
  signNote,
  verifierFromVkey,
} from '../../protocols/checkpoint/index.ts';
import { event, ORIGIN, openTestLedger, testKeys, useTmpDirs } from '../support/ledger-fixtures.ts';

const dir = useTmpDirs('troupe-witness-');

const seeds = { ed25519: new Uint8Array(32).fill(9), mldsa44: new Uint8Array(32).fill(8) };
const logVkeys = testKeys().vkeys;

function witness(d: string) {
  return createWitness({
    dir: d,
    name: 'witness.test.internal/w1',
    logs: [{ origin: ORIGIN, vkeys: logVkeys }],
    seeds,
    now: () => 1_750_000_000_000,
  });
}

async function grow(ledger: Ledger, from: number, n: number) {
  await ledger.appendBatch(Array.from({ length: n }, (_, i) => event(from + i)));
  return ledger.checkpoint();
}

describe('witness', () => {
  it('cosigns a first checkpoint, then only consistent growth, persisting first', async () => {
    const wd = dir();
    const w = witness(wd);
    const ledger = await openTestLedger(dir());
    const cp1 = await grow(ledger, 1, 5);
    const c1 = await w.addCheckpoint({ oldSize: 0n, proof: [], checkpoint: cp1.note });
    const verifiers = [...logVkeys, ...w.vkeys].map((v) => verifierFromVkey(v));
    expect(openNote(c1.note, verifiers, { requireAll: true }).verified).toHaveLength(4);
    expect(c1.signatures).toHaveLength(2);
    expect(w.latest(ORIGIN)?.size).toBe(5n);

    const cp2 = await grow(ledger, 6, 4);
    const proof = ledger.proveConsistency(5).proof;
    const c2 = await w.addCheckpoint({ oldSize: 5n, proof, checkpoint: cp2.note });
    expect(openNote(c2.note, verifiers, { requireAll: true }).text).toContain('\n9\n');
    const saved = JSON.parse(readFileSync(join(wd, WITNESS_STATE_FILE), 'utf8'));
    expect(saved.logs[ORIGIN].size).toBe('9');
    // A restarted witness remembers.
    expect(witness(wd).latest(ORIGIN)?.size).toBe(9n);
    // Resubmitting the same checkpoint is fine (same size, same root, empty proof).
    await w.addCheckpoint({ oldSize: 9n, proof: [], checkpoint: cp2.note });
    await ledger.close();
  });

  it('answers a stale old size with 409 and the size it knows', async () => {
    const w = witness(dir());
    const ledger = await openTestLedger(dir());
    const cp1 = await grow(ledger, 1, 3);
    await w.addCheckpoint({ oldSize: 0n, proof: [], checkpoint: cp1.note });
    const cp2 = await grow(ledger, 4, 3);
    const err = await w
      .addCheckpoint({ oldSize: 0n, proof: [], checkpoint: cp2.note })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WitnessConflictError);
    expect(err).toMatchObject({ knownSize: 3n, httpStatus: 409 });
    await ledger.close();
  });

  it('refuses a rollback to a smaller tree', async () => {
    const w = witness(dir());
    const ledger = await openTestLedger(dir());
    const small = await grow(ledger, 1, 3);
    const big = await grow(ledger, 4, 3);
    await w.addCheckpoint({ oldSize: 0n, proof: [], checkpoint: big.note });
    await expect(
      w.addCheckpoint({ oldSize: 6n, proof: [], checkpoint: small.note }),
    ).rejects.toThrow(WitnessRollbackError);
    await expect(
      w.addCheckpoint({ oldSize: 3n, proof: [], checkpoint: small.note }),
    ).rejects.toThrow(WitnessRollbackError);
    expect(w.latest(ORIGIN)?.size).toBe(6n);
    await ledger.close();
  });

  it('refuses a fork: same size with another root, or a proof that does not hold', async () => {
    const w = witness(dir());
    const a = await openTestLedger(dir());
    const b = await openTestLedger(dir());
    const a1 = await grow(a, 1, 4);
    await w.addCheckpoint({ oldSize: 0n, proof: [], checkpoint: a1.note });
    // b shares the keys but not the history: entry 3 differs.
    await b.appendBatch([
      event(1),
      event(2),
      event(3, { payload: Buffer.from('other') }),
      event(4),
    ]);
    const b1 = await b.checkpoint();
    await expect(w.addCheckpoint({ oldSize: 4n, proof: [], checkpoint: b1.note })).rejects.toThrow(
      WitnessForkError,
    );
    const b2 = await grow(b, 5, 3);
    const proof = b.proveConsistency(4).proof;
    const err = await w
      .addCheckpoint({ oldSize: 4n, proof, checkpoint: b2.note })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WitnessForkError);
    expect(err).toMatchObject({ httpStatus: 422 });
    expect(w.latest(ORIGIN)?.size).toBe(4n);
    await a.close();
    await b.close();
  });

  it('refuses unknown logs, bad signatures and malformed requests', async () => {
    const w = witness(dir());
    const ledger = await openTestLedger(dir());
    const cp = await grow(ledger, 1, 2);
    const other = signNote(
      formatCheckpoint({
        origin: 'other.example/log',
        size: 1n,
        root: new Uint8Array(32),
        extensions: [],
      }),
      [testKeys('b').signer],
    );
    await expect(w.addCheckpoint({ oldSize: 0n, proof: [], checkpoint: other })).rejects.toThrow(
      WitnessUnknownLogError,
    );
    const forged = cp.note.replace(/\n2\n/, '\n3\n');
    await expect(w.addCheckpoint({ oldSize: 0n, proof: [], checkpoint: forged })).rejects.toThrow(
      WitnessSignatureError,
    );
    // Signed by the log's Ed25519 key only: the witness requires both log keys.
    const edOnly = signNote(cp.note.split('\n\n')[0]! + '\n', [testKeys().signer]);
    await expect(w.addCheckpoint({ oldSize: 0n, proof: [], checkpoint: edOnly })).rejects.toThrow(
      WitnessSignatureError,
    );
    await expect(w.addCheckpoint({ oldSize: 3n, proof: [], checkpoint: cp.note })).rejects.toThrow(
      WitnessBadRequestError,
    );
    await expect(
      w.addCheckpoint({ oldSize: 0n, proof: [], checkpoint: 'garbage' }),
    ).rejects.toThrow(WitnessBadRequestError);
    const c = await w.addCheckpoint({ oldSize: 0n, proof: [], checkpoint: cp.note });
    expect(c.signatures).toHaveLength(2);
    await ledger.close();
  });

  it('speaks the tlog-witness request format and keeps its keys at mode 0600', async () => {
    const wd = dir();
    const w = createWitness({
      dir: wd,
      name: 'witness.test.internal/w2',
      logs: [{ origin: ORIGIN, vkeys: logVkeys }],
    });
    for (const f of ['witness-ed25519.skey', 'witness-mldsa44.skey']) {
      expect(statSync(join(wd, 'keys', f)).mode & 0o777).toBe(0o600);
    }
    const ledger = await openTestLedger(dir());
    const cp = await grow(ledger, 1, 7);
    const body = formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: cp.note });
    expect(body.startsWith('old 0\n\n')).toBe(true);
    await w.addCheckpoint(parseAddCheckpointRequest(body));
    const cp2 = await grow(ledger, 8, 2);
    const req = { oldSize: 7n, proof: ledger.proveConsistency(7).proof, checkpoint: cp2.note };
    const parsed = parseAddCheckpointRequest(formatAddCheckpointRequest(req));
    expect(parsed.proof.map((p) => Buffer.from(p).toString('hex'))).toEqual(
      req.proof.map((p) => Buffer.from(p).toString('hex')),
    );
    await w.addCheckpoint(parsed);
    expect(() => parseAddCheckpointRequest('old 01\n\nx')).toThrow();
    await ledger.close();
  });
});
