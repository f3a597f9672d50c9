// RFC 9162 proofs against transparency-dev/merkle's testdata (Apache-2.0), every file of both
// suites: happy paths must verify and match what we generate; every wantErr probe must be refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_ROOT,
  hashLeaf,
  inclusionProof,
  MerkleProofError,
  memoryHashSource,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../protocols/merkle/index.ts';
import { filesUnder, vectorsRoot } from './vectors.ts';

// transparency-dev/merkle testonly/constants.go: the leaves the vectors' trees are built from.
const LEAF_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((hex) => Buffer.from(hex, 'hex'));
const ROOT_8 = '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328';

const source = memoryHashSource(LEAF_INPUTS.map((l) => hashLeaf(l)));

/** JSON with its u64 fields kept exact (2^64 − 1 appears in the probes). */
function readVector(path: string): Record<string, unknown> {
  const text = readFileSync(path, 'utf8').replace(
    /("(?:leafIdx|treeSize|size1|size2)"\s*:\s*)(\d+)/g,
    '$1"$2"',
  );
  return JSON.parse(text) as Record<string, unknown>;
}

const b64 = (s: unknown): Uint8Array => Buffer.from(String(s ?? ''), 'base64');
const proofOf = (p: unknown): Uint8Array[] => ((p as string[] | null) ?? []).map(b64);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const root = vectorsRoot();

describe('merkle hashing (transparency-dev/merkle constants)', () => {
  it('roots of the 8 reference leaves', () => {
    expect(hex(treeRoot(source, 0))).toBe(hex(EMPTY_ROOT));
    expect(hex(treeRoot(source, 8))).toBe(ROOT_8);
  });
});

describe.skipIf(!root)('merkle conformance vectors', () => {
  if (!root) {
    console.warn('no vectors folder (set TROUPE_VECTORS): merkle conformance skipped');
    return;
  }

  const inclusion = filesUnder(join(root, 'merkle/inclusion')).filter((f) => f.endsWith('.json'));
  const consistency = filesUnder(join(root, 'merkle/consistency')).filter((f) =>
    f.endsWith('.json'),
  );

  it('found vectors of both kinds', () => {
    expect(inclusion.length).toBeGreaterThan(0);
    expect(consistency.length).toBeGreaterThan(0);
  });

  it.each(inclusion)('inclusion %s', (file) => {
    const v = readVector(file);
    const idx = BigInt(v.leafIdx as string);
    const size = BigInt(v.treeSize as string);
    const check = () => verifyInclusion(b64(v.leafHash), idx, size, proofOf(v.proof), b64(v.root));
    if (v.wantErr) {
      expect(check).toThrow(MerkleProofError);
      return;
    }
    check();
    // A happy path on the reference tree must be exactly the proof we would generate.
    if (size <= 8n && hex(b64(v.root)) === hex(treeRoot(source, size))) {
      expect(inclusionProof(source, idx, size).map(hex)).toEqual(proofOf(v.proof).map(hex));
    }
  });

  it.each(consistency)('consistency %s', (file) => {
    const v = readVector(file);
    const size1 = BigInt(v.size1 as string);
    const size2 = BigInt(v.size2 as string);
    const check = () =>
      verifyConsistency(size1, size2, proofOf(v.proof), b64(v.root1), b64(v.root2));
    if (v.wantErr) {
      expect(check).toThrow(MerkleProofError);
      return;
    }
    check();
    expect(hex(b64(v.root1))).toBe(hex(treeRoot(source, size1)));
    expect(hex(b64(v.root2))).toBe(hex(treeRoot(source, size2)));
    expect(consistencyProof(source, size1, size2).map(hex)).toEqual(proofOf(v.proof).map(hex));
  });
});
