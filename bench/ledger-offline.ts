// Offline ledger figures, each beside a peer measured in the same run on the same machine:
//   ledger.verify  entries/s for verifyLedger over a 1M-entry ledger directory (every frame,
//                  leaf, chain link, payload commitment, tree node and signature), against a bare
//                  node:crypto SHA-256 pass over the same leaf bytes (one hash per entry, in one
//                  thread, no checks): the floor any verifier of these bytes pays.
//   ledger.prove   inclusion proofs/s from the tree cache against the signed checkpoint (each
//                  proof is also self-checked before it is returned), against verifying the same
//                  proofs. Verification is the cheapest honest peer: a proof can be produced no
//                  faster than it can be checked unless the producer skips the check, so the ratio
//                  says how much of a proof's cost is the cache reads.
// Run: node --import tsx -e "import('./bench/ledger-offline.ts').then(async m => console.log(await m.default.run()))"
import { hash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type LedgerEntry,
  ledgerKeysFromSeeds,
  openLedger,
  openLedgerReader,
  verifyLedger,
} from '../actors/ledger/index.ts';
import { verifyInclusion } from '../protocols/merkle/index.ts';
import { type Bench, type BenchResult, higherIsBetter, median } from './types.ts';

const ENTRIES = Number(process.env.TROUPE_BENCH_LEDGER_ENTRIES ?? 1_000_000);
const PROOFS = 20_000;
const ORIGIN = 'bench.troupe.internal/ledger';

function entry(seq: number): LedgerEntry {
  return {
    type: 'event',
    streamSeq: BigInt(seq),
    timestampNs: 1_750_000_000_000_000_000n + BigInt(seq) * 1000n,
    stream: 'TROUPE_AUDIT_bench',
    subject: `troupe.bench.audit.node${seq % 4}.agent${seq % 16}`,
    msgId: `00000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`,
    payload: Buffer.from(
      `{"seq":${seq},"kind":"tool.call","tool":"shell","args":["ls","-la"],"ok":true}`,
    ),
  };
}

async function build(dir: string): Promise<number> {
  const keys = ledgerKeysFromSeeds(ORIGIN, new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
  const t0 = performance.now();
  const ledger = await openLedger(dir, { origin: ORIGIN, keys, maxBatchEntries: 8192 });
  for (let s = 1; s <= ENTRIES; ) {
    const n = Math.min(8192, ENTRIES - s + 1);
    await ledger.appendBatch(Array.from({ length: n }, (_, i) => entry(s + i)));
    s += n;
  }
  await ledger.checkpoint();
  await ledger.close();
  return (performance.now() - t0) / 1000;
}

/** The peer for verify: read leaves.log in big blocks and SHA-256 each leaf body once. */
function plainHashPass(path: string): number {
  const fd = openSync(path, 'r');
  const size = statSync(path).size;
  const buf = Buffer.allocUnsafe(16 << 20);
  let fileOff = 0;
  let have = 0;
  let n = 0;
  const t0 = performance.now();
  while (fileOff < size || have > 0) {
    const got = readSync(fd, buf, have, buf.length - have, fileOff);
    fileOff += got;
    have += got;
    let p = 0;
    while (p + 4 <= have) {
      const len = buf.readUInt32BE(p);
      if (p + 8 + len > have) break;
      hash('sha256', buf.subarray(p + 4, p + 4 + len), 'buffer');
      n++;
      p += 8 + len;
    }
    buf.copy(buf, 0, p, have);
    have -= p;
    if (got === 0) break;
  }
  closeSync(fd);
  const s = (performance.now() - t0) / 1000;
  if (n !== ENTRIES) throw new Error(`peer hashed ${n} leaves, want ${ENTRIES}`);
  return n / s;
}

const bench: Bench = {
  names: ['ledger.verify', 'ledger.prove'],
  async run(): Promise<BenchResult[]> {
    const base = mkdtempSync(join(tmpdir(), 'troupe-bench-ledger-'));
    const dir = join(base, 'ledger');
    try {
      const buildSeconds = await build(dir);
      // Building left a large heap behind; measure the verifier, not the builder's garbage.
      (globalThis as { gc?: () => void }).gc?.();
      const leavesBytes = statSync(join(dir, 'leaves.log')).size;
      const payloadsBytes = statSync(join(dir, 'payloads.log')).size;

      const verifyRates: number[] = [];
      const peerRates: number[] = [];
      const seconds: number[] = [];
      for (let run = 0; run < 3; run++) {
        const t0 = performance.now();
        const report = await verifyLedger(dir);
        const s = (performance.now() - t0) / 1000;
        if (!report.ok || report.size !== ENTRIES) {
          throw new Error(`verify failed: ${JSON.stringify(report)}`);
        }
        seconds.push(s);
        verifyRates.push(ENTRIES / s);
        peerRates.push(plainHashPass(join(dir, 'leaves.log')));
      }
      const verify = median(verifyRates);
      const verifyPeer = median(peerRates);

      const reader = openLedgerReader(dir);
      const size = reader.checkpoint!.size;
      const root = reader.checkpoint!.root;
      let x = 12345;
      const indices = Array.from({ length: PROOFS }, () => {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        return x % size;
      });
      const proveRates: number[] = [];
      const checkRates: number[] = [];
      for (let run = 0; run < 3; run++) {
        const t0 = performance.now();
        const proofs = indices.map((i) => reader.proveInclusion(i));
        proveRates.push(PROOFS / ((performance.now() - t0) / 1000));
        const t1 = performance.now();
        for (const p of proofs) verifyInclusion(p.leafHash, p.index, size, p.proof, root);
        checkRates.push(PROOFS / ((performance.now() - t1) / 1000));
      }
      reader.close();
      const prove = median(proveRates);
      const check = median(checkRates);

      const facts = `${ENTRIES} entries (leaves.log ${(leavesBytes / 2 ** 20).toFixed(0)} MiB, payloads.log ${(payloadsBytes / 2 ** 20).toFixed(0)} MiB), built in ${buildSeconds.toFixed(1)} s; ${availableParallelism()} cores`;
      return [
        {
          name: 'ledger.verify',
          unit: 'entries/s',
          value: Math.round(verify),
          peer: 'SHA-256 of each leaf, node:crypto, one thread, no checks',
          peerValue: Math.round(verifyPeer),
          ratio: higherIsBetter(verify, verifyPeer),
          notes: `${facts}; verify took ${median(seconds).toFixed(2)} s (median of 3)`,
        },
        {
          name: 'ledger.prove',
          unit: 'proofs/s',
          value: Math.round(prove),
          peer: 'verifying the same inclusion proofs',
          peerValue: Math.round(check),
          ratio: higherIsBetter(prove, check),
          notes: `${PROOFS} random indices in a tree of ${size}, from the level cache via pread`,
        },
      ];
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  },
};

export default bench;
