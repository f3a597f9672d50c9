import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendLeaf,
  consistencyProof,
  emptyRange,
  type HashSource,
  hashChildren,
  hashLeaf,
  inclusionProof,
  MerkleProofError,
  memoryHashSource,
  rangeNodes,
  rangeRootHash,
  sha256,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../protocols/merkle/index.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const leafOf = (i: number): Uint8Array => Buffer.from(`leaf-${i}`);

/** MTH by the RFC's recursive definition, straight from leaf hashes: the reference. */
function naiveRoot(hashes: Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return sha256(new Uint8Array(0));
  if (hashes.length === 1) return hashes[0]!;
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return hashChildren(naiveRoot(hashes.slice(0, k)), naiveRoot(hashes.slice(k)));
}

function tree(n: number): { hashes: Uint8Array[]; source: HashSource } {
  const hashes = Array.from({ length: n }, (_, i) => hashLeaf(leafOf(i)));
  return { hashes, source: memoryHashSource(hashes) };
}

/**
 * A consistent hash source over an astronomically large tree: nodes on the paths to a few
 * "real" leaves are computed from their children, all others are pseudo-random. Every node a
 * proof about those leaves touches is then consistent with the root computed from the same source.
 */
function sparseSource(real: bigint[]): HashSource {
  const memo = new Map<string, Uint8Array>();
  const covers = (level: number, index: bigint) => real.some((r) => r >> BigInt(level) === index);
  const node = (level: number, index: bigint): Uint8Array => {
    const key = `${level}:${index}`;
    const hit = memo.get(key);
    if (hit) return hit;
    let h: Uint8Array;
    if (level === 0) h = hashLeaf(Buffer.from(`synthetic-${index}`));
    else if (covers(level, index)) {
      h = hashChildren(node(level - 1, index * 2n), node(level - 1, index * 2n + 1n));
    } else h = sha256(Buffer.from(`pseudo-${level}-${index}`));
    memo.set(key, h);
    return h;
  };
  return { node };
}

describe('RFC 9162 hashing', () => {
  it('known answers from transparency-dev/merkle rfc6962_test.go', () => {
    expect(hex(sha256(new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(hex(hashLeaf(new Uint8Array(0)))).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(hex(hashLeaf(Buffer.from('L123456')))).toBe(
      '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56',
    );
    // Their node vector hashes 4-byte strings; hashChildren takes only 32-byte hashes, so check the
    // layout 0x01 ‖ L ‖ R directly, then that hashChildren uses the same layout.
    expect(hex(sha256(Buffer.from('\x01N123N456', 'latin1')))).toMatch(/^aa217fe8/);
    const l = sha256(Buffer.from('l'));
    const r = sha256(Buffer.from('r'));
    expect(hex(hashChildren(l, r))).toBe(hex(sha256(Buffer.concat([Buffer.from([1]), l, r]))));
  });

  it('node:crypto and @noble/hashes give the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
        expect(hex(sha256(data))).toBe(hex(nobleSha256(data)));
        const prefixed = new Uint8Array(data.length + 1);
        prefixed.set(data, 1);
        expect(hex(hashLeaf(data))).toBe(hex(nobleSha256(prefixed)));
      }),
    );
  });

  it('an odd last node is carried up, never duplicated (CVE-2012-2459)', () => {
    const { hashes } = tree(3);
    const good = hashChildren(hashChildren(hashes[0]!, hashes[1]!), hashes[2]!);
    const duplicated = hashChildren(
      hashChildren(hashes[0]!, hashes[1]!),
      hashChildren(hashes[2]!, hashes[2]!),
    );
    const range = emptyRange();
    for (const h of hashes) appendLeaf(range, h);
    expect(hex(rangeRootHash(range))).toBe(hex(good));
    expect(hex(rangeRootHash(range))).not.toBe(hex(duplicated));
  });

  it('compact range root equals the recursive definition for every size up to 130', () => {
    const { hashes, source } = tree(130);
    const range = emptyRange();
    for (let n = 0; n <= 130; n++) {
      expect(hex(rangeRootHash(range))).toBe(hex(naiveRoot(hashes.slice(0, n))));
      expect(hex(treeRoot(source, n))).toBe(hex(naiveRoot(hashes.slice(0, n))));
      expect(range.hashes.length).toBe(rangeNodes(n).length);
      if (n < 130) appendLeaf(range, hashes[n]!);
    }
  });

  it('the node sink sees every completed subtree at its level and index', () => {
    const { hashes, source } = tree(37);
    const range = emptyRange();
    const seen: string[] = [];
    hashes.forEach((h, i) => {
      appendLeaf(range, h, (level, index, hash) => {
        expect(hex(hash)).toBe(hex(source.node(level, BigInt(index))));
        seen.push(`${level}:${index}`);
      });
      expect(range.size).toBe(i + 1);
    });
    // 37 leaves complete 18 + 9 + 4 + 2 + 1 interior nodes.
    expect(seen).toHaveLength(34);
  });
});

describe('inclusion and consistency proofs', () => {
  const { hashes, source } = tree(300);

  it('random (index, size) inclusion proofs verify, and every mutation fails', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }))),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        ([size, index], pick, bit) => {
          const proof = inclusionProof(source, index, size);
          const root = treeRoot(source, size);
          verifyInclusion(hashes[index]!, index, size, proof, root);
          expect(hex(root)).toBe(hex(naiveRoot(hashes.slice(0, size))));
          if (proof.length > 0) {
            const bad = proof.map((p) => p.slice());
            const at = pick % bad.length;
            bad[at]![bit % 32]! ^= 1 << (bit % 8);
            expect(() => verifyInclusion(hashes[index]!, index, size, bad, root)).toThrow(
              MerkleProofError,
            );
            expect(() =>
              verifyInclusion(hashes[index]!, index, size, proof.slice(0, -1), root),
            ).toThrow(MerkleProofError);
          }
          expect(() =>
            verifyInclusion(hashes[index]!, index, size, [...proof, root], root),
          ).toThrow(MerkleProofError);
          const other = (index + 1 + (pick % size)) % size;
          if (other !== index) {
            expect(() => verifyInclusion(hashes[other]!, index, size, proof, root)).toThrow(
              MerkleProofError,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random size pairs: consistency proofs verify, and mutations fail', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n))),
        fc.nat(),
        ([m, n], pick) => {
          const proof = consistencyProof(source, m, n);
          const r1 = treeRoot(source, m);
          const r2 = treeRoot(source, n);
          verifyConsistency(m, n, proof, r1, r2);
          if (proof.length > 0) {
            const bad = proof.map((p) => p.slice());
            bad[pick % bad.length]![pick % 32]! ^= 0x80;
            expect(() => verifyConsistency(m, n, bad, r1, r2)).toThrow(MerkleProofError);
            expect(() => verifyConsistency(m, n, proof.slice(1), r1, r2)).toThrow(MerkleProofError);
            expect(() => verifyConsistency(m, n, proof, r2, r1)).toThrow(MerkleProofError);
          }
          expect(() => verifyConsistency(m, n, [...proof, r1], r1, r2)).toThrow(MerkleProofError);
          if (m < n - 1) {
            // Checked against the signed head of another size (its own root), it fails.
            expect(() => verifyConsistency(m, n - 1, proof, r1, treeRoot(source, n - 1))).toThrow(
              MerkleProofError,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an internal node presented as a leaf is refused', () => {
    const node = source.node(1, 0n); // the parent of leaves 0 and 1
    const proof = inclusionProof(source, 0, 8).slice(1);
    const root = treeRoot(source, 8);
    // As a leaf hash at index 0 of a tree of 4 "leaves", the path up is right but the size is not.
    expect(() => verifyInclusion(node, 0, 8, proof, root)).toThrow(MerkleProofError);
    // Its preimage submitted as leaf bytes gets the leaf prefix and a different hash.
    const preimage = Buffer.concat([hashes[0]!, hashes[1]!]);
    expect(() => verifyInclusion(hashLeaf(preimage), 0, 8, proof, root)).toThrow(MerkleProofError);
  });

  it('a proof for one tree size does not verify at another size', () => {
    const proof = inclusionProof(source, 5, 13);
    verifyInclusion(hashes[5]!, 5, 13, proof, treeRoot(source, 13));
    for (const size of [12, 14, 16]) {
      expect(() => verifyInclusion(hashes[5]!, 5, size, proof, treeRoot(source, size))).toThrow(
        MerkleProofError,
      );
    }
  });

  it('bad arguments are refused with a typed error, not a crash', () => {
    const root = treeRoot(source, 8);
    expect(() => verifyInclusion(hashes[0]!, 8, 8, [], root)).toThrow(MerkleProofError);
    expect(() => verifyInclusion(hashes[0]!, -1, 8, [], root)).toThrow(MerkleProofError);
    expect(() => verifyInclusion(hashes[0]!, 0.5, 8, [], root)).toThrow(MerkleProofError);
    expect(() => verifyInclusion(hashes[0]!, 0, 2n ** 64n, [], root)).toThrow(MerkleProofError);
    expect(() => verifyConsistency(0, 8, [], root, root)).toThrow(MerkleProofError);
    expect(() => verifyConsistency(9, 8, [], root, root)).toThrow(MerkleProofError);
  });
});

describe('trees beyond 2^32 and 2^53 leaves', () => {
  it('inclusion of leaf 2^40 in a tree of 2^40 + 3', () => {
    const index = 2n ** 40n;
    const size = index + 3n;
    const source = sparseSource([index, size - 1n]);
    const proof = inclusionProof(source, index, size);
    expect(proof).toHaveLength(3);
    const root = treeRoot(source, size);
    verifyInclusion(source.node(0, index), index, size, proof, root);
    expect(() => verifyInclusion(source.node(0, index), index - 1n, size, proof, root)).toThrow(
      MerkleProofError,
    );
    // 32-bit truncation would turn 2^40 into 0: must not verify there.
    expect(() => verifyInclusion(source.node(0, index), 0n, size, proof, root)).toThrow(
      MerkleProofError,
    );
  });

  it('random indices near 2^32, 2^53 and 2^63', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2n ** 32n, 2n ** 53n, 2n ** 63n),
        fc.bigInt({ min: -5n, max: 5n }),
        fc.bigInt({ min: 1n, max: 2n ** 20n }),
        (base, delta, extra) => {
          const index = base + delta;
          const size = index + extra;
          const source = sparseSource([index, size - 1n]);
          const proof = inclusionProof(source, index, size);
          verifyInclusion(source.node(0, index), index, size, proof, treeRoot(source, size));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('consistency between huge sizes', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 2n ** 62n }),
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        (m, grow) => {
          const n = m + grow;
          const source = sparseSource([m - 1n, m, n - 1n]);
          const proof = consistencyProof(source, m, n);
          verifyConsistency(m, n, proof, treeRoot(source, m), treeRoot(source, n));
          if (proof.length > 0) {
            expect(() =>
              verifyConsistency(m, n, proof.slice(1), treeRoot(source, m), treeRoot(source, n)),
            ).toThrow(MerkleProofError);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('consistency between equal sizes (RFC 9162 §2.1.4.2)', () => {
  it('checks an empty path and equal roots, whatever the roots length', () => {
    for (const len of [0, 1, 20, 32, 48]) {
      const root = new Uint8Array(len).fill(7);
      expect(() => verifyConsistency(5, 5, [], root, root.slice())).not.toThrow();
    }
    const a = new Uint8Array(20).fill(1);
    const b = new Uint8Array(20).fill(2);
    expect(() => verifyConsistency(5, 5, [], a, b)).toThrow(MerkleProofError);
    expect(() => verifyConsistency(5, 5, [], a, new Uint8Array(21).fill(1))).toThrow(
      MerkleProofError,
    );
    expect(() => verifyConsistency(5, 5, [a], a, a)).toThrow(/empty proof/);
    // Different sizes still need 32-byte hashes: they are hashed.
    expect(() => verifyConsistency(4, 5, [a], a, a)).toThrow(/32-byte/);
  });
});
