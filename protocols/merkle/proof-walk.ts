/**
 * Where a proof verifier stands on its way up the tree (RFC 9162 §2.1.3.2 and §2.1.4.2): `fn` is
 * the node's index at its level and `sn` the last index there. Inclusion and consistency
 * verification walk the same way; only what they hash at each step differs.
 */
export interface ProofWalk {
  fn: bigint;
  sn: bigint;
}

/** Shift both indices one level up. */
export function climb(at: ProofWalk): void {
  at.fn >>= 1n;
  at.sn >>= 1n;
}

/**
 * One step of the walk for the next proof hash: true when that hash is the left sibling (it goes
 * in front), false when it is the right one. Moves `at` to the parent level the step reaches.
 */
export function stepUp(at: ProofWalk): boolean {
  const left = (at.fn & 1n) === 1n || at.fn === at.sn;
  if (left) {
    while ((at.fn & 1n) === 0n && at.fn !== 0n) climb(at);
  }
  climb(at);
  return left;
}
