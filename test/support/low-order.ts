/**
 * X25519 public keys that must be refused: the low-order points of Curve25519 and their
 * non-canonical encodings (libsodium's blacklist; RFC 7748 §6.1), plus each with the top bit set,
 * which X25519 ignores.
 */
const base = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

export const LOW_ORDER_POINTS: string[] = [
  ...base,
  ...base.map((h) => h.slice(0, 62) + (Number.parseInt(h.slice(62), 16) | 0x80).toString(16)),
];
